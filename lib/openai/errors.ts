/**
 * OpenAI's error envelope, `{"error":{"message","type","param","code"}}`, rendered from a
 * ProxyError (whose kind is Anthropic's error type) with the status OpenAI clients act on.
 * @module
 */
import type { ProxyError } from "../errors.ts";

/** The JSON body OpenAI SDKs parse into a typed APIError. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const CONTEXT_OVERFLOW = /prompt is too long|exceed(s|ed)? (the )?context|context[_ ]length/i;

/** The status and body an OpenAI client gets for a ProxyError. */
export function openAIError(error: ProxyError): { status: number; body: OpenAIErrorBody } {
  const body = (type: string, code: string | null, status = error.status) => ({
    status,
    body: { error: { message: error.message, type, param: null, code } },
  });
  switch (error.kind) {
    case "invalid_request_error":
      return body(
        "invalid_request_error",
        CONTEXT_OVERFLOW.test(error.message) ? "context_length_exceeded" : null,
      );
    case "authentication_error":
      return body("invalid_request_error", "invalid_api_key");
    case "billing_error":
      // Not 429: SDKs retry 429, and no retry helps an empty account.
      return body("insufficient_quota", "insufficient_quota", 402);
    case "permission_error":
      return body("permission_error", null);
    case "not_found_error":
      return body("invalid_request_error", /model/i.test(error.message) ? "model_not_found" : null);
    case "request_too_large":
      return body("invalid_request_error", "request_too_large");
    case "rate_limit_error":
      return body("rate_limit_error", "rate_limit_exceeded");
    case "timeout_error":
      return body("server_error", "timeout");
    case "overloaded_error":
      return body("server_error", "server_is_overloaded", 503);
    default:
      return body("server_error", null, error.status === 499 ? 499 : error.status || 500);
  }
}
