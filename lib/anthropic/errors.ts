/**
 * Anthropic's error envelope: `{"type":"error","error":{"type","message"},"request_id"}`.
 * @module
 */
import type { ProxyError } from "../errors.ts";

/** The JSON body Anthropic SDKs parse into a typed APIError. */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: string; message: string };
  request_id?: string;
}

/** Renders a ProxyError as Anthropic's error body. */
export function anthropicErrorBody(error: ProxyError, requestId?: string): AnthropicErrorBody {
  const body: AnthropicErrorBody = {
    type: "error",
    error: { type: error.kind, message: error.message },
  };
  if (requestId) body.request_id = requestId;
  return body;
}
