/** Shared helpers for the request-direction tests (Anthropic request → OpenAI request). */
import assert from "node:assert/strict";
import { MessagesRequest } from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import { ProxyError } from "../lib/errors.ts";
import {
  anthropicRequestToOpenAI,
  type RequestOptions,
} from "../lib/translate/anthropic_request_to_openai.ts";

/** Options of a plain OpenAI-compatible backend; tests override what they exercise. */
export const OPTIONS: RequestOptions = {
  model: "gpt-4o",
  cleanSchemas: false,
  reasoningEffort: false,
  reasoningModel: false,
  acceptsPdf: false,
  sendUser: true,
};

/** Validates the body through the zod schema (as the route does), then translates it. */
export function translate(body: Record<string, unknown>, options: Partial<RequestOptions> = {}) {
  const request = validate(MessagesRequest, {
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    ...body,
  });
  return anthropicRequestToOpenAI(request, { ...OPTIONS, ...options });
}

/** The translated messages only. */
export const convert = (messages: unknown[], options: Partial<RequestOptions> = {}) =>
  translate({ messages }, options).value.messages;

export const user = (content: unknown) => ({ role: "user", content });
export const assistant = (content: unknown) => ({ role: "assistant", content });
export const text = (value: string) => ({ type: "text", text: value });
export const toolUse = (id: string, name = "Bash", input: unknown = { command: "ls" }) => ({
  type: "tool_use",
  id,
  name,
  input,
});
export const toolResult = (id: string, content?: unknown, extra: Record<string, unknown> = {}) => ({
  type: "tool_result",
  tool_use_id: id,
  ...(content === undefined ? {} : { content }),
  ...extra,
});
export const call = (id: string, name = "Bash", args = '{"command":"ls"}') => ({
  id,
  type: "function",
  function: { name, arguments: args },
});
export const PNG = { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" };
export const PNG_PART = {
  type: "image_url",
  image_url: { url: "data:image/png;base64,iVBORw0KGgo=" },
};

/** Expects a ProxyError 400 invalid_request_error whose message matches. */
export function assert400(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ProxyError);
    assert.equal(error.status, 400);
    assert.equal(error.kind, "invalid_request_error");
    assert.match(error.message, pattern);
    return true;
  });
}
