/**
 * The zod schema for Messages requests, through validate(): a 400 that names the field for
 * malformed input, and tolerance for unknown block types and fields (Claude Code adds them often).
 */
import assert from "node:assert/strict";
import { CountTokensRequest, MessagesRequest } from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import { ProxyError } from "../lib/errors.ts";

const BASE = {
  model: "claude-sonnet-4-5",
  max_tokens: 1024,
  messages: [{ role: "user", content: "hi" }],
};

function rejects(body: unknown, message: string) {
  assert.throws(() => validate(MessagesRequest, body), (error: unknown) => {
    assert.ok(error instanceof ProxyError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.kind, "invalid_request_error");
    assert.equal(error.message, message);
    return true;
  });
}

const withContent = (content: unknown, role = "user") => ({
  ...BASE,
  messages: [{ role, content }],
});

Deno.test("validate rejects a body that is not a JSON object", () => {
  for (const body of [null, [], "text", 3]) rejects(body, "Request body must be a JSON object");
});

Deno.test("validate names missing required fields", () => {
  const { model: _m, ...noModel } = BASE;
  const { messages: _s, ...noMessages } = BASE;
  const { max_tokens: _t, ...noMaxTokens } = BASE;
  rejects(noModel, "model: Field required");
  rejects(noMessages, "messages: Field required");
  rejects(noMaxTokens, "max_tokens: Field required");
  rejects({ ...BASE, messages: [{ role: "user" }] }, "messages.0.content: Field required");
});

Deno.test("validate names fields with the wrong type", () => {
  rejects({ ...BASE, model: 5 }, "model: Invalid input: expected string, received number");
  rejects({ ...BASE, model: "" }, "model: Too small: expected string to have >=1 characters");
  rejects(
    { ...BASE, max_tokens: "1024" },
    "max_tokens: Invalid input: expected number, received string",
  );
  rejects({ ...BASE, max_tokens: 1.5 }, "max_tokens: Invalid input: expected int, received number");
  rejects({ ...BASE, max_tokens: -1 }, "max_tokens: Too small: expected number to be >=0");
  rejects(
    { ...BASE, messages: "hi" },
    "messages: Invalid input: expected array, received string",
  );
  rejects({ ...BASE, stream: "yes" }, "stream: Invalid input: expected boolean, received string");
  rejects(
    { ...BASE, stop_sequences: "END" },
    "stop_sequences: Invalid input: expected array, received string",
  );
  rejects({ ...BASE, system: 4 }, "system: Invalid input: expected string, received number");
});

Deno.test("validate rejects a bad role", () => {
  rejects(
    { ...BASE, messages: [{ role: "tool", content: "x" }] },
    'messages.0.role: Invalid option: expected one of "user"|"assistant"|"system"',
  );
});

Deno.test("validate names the path of a bad field in a known block type", () => {
  rejects(
    withContent([{ type: "text", text: "ok" }, { type: "text", text: 3 }]),
    "messages.0.content.1.text: Invalid input: expected string, received number",
  );
  rejects(
    withContent([{ type: "image", source: { type: "base64", data: "x" } }]),
    "messages.0.content.0.source.media_type: Field required",
  );
  rejects(
    withContent([{ type: "tool_use", name: "Bash", input: {} }], "assistant"),
    "messages.0.content.0.id: Field required",
  );
  rejects(
    withContent([{ type: "tool_result", tool_use_id: "t", is_error: "no" }]),
    "messages.0.content.0.is_error: Invalid input: expected boolean, received string",
  );
  rejects(withContent([{ text: "no type" }]), "messages.0.content.0.type: Field required");
  rejects(
    { ...BASE, system: [{ type: "text", text: 1 }] },
    "system.0.text: Invalid input: expected string, received number",
  );
});

Deno.test("validate names bad tools and tool_choice fields", () => {
  rejects({ ...BASE, tools: [{ input_schema: {} }] }, "tools.0.name: Field required");
  rejects(
    { ...BASE, tool_choice: { type: "sometimes" } },
    'tool_choice.type: Invalid option: expected one of "auto"|"any"|"tool"|"none"',
  );
});

Deno.test("validate passes unknown block types and unknown fields through", () => {
  const body = {
    ...BASE,
    brand_new_field: { a: 1 },
    context_management: { edits: [] },
    thinking: { type: "adaptive", budget_tokens: 0, display: "omitted" },
    messages: [
      {
        role: "user",
        content: [
          { type: "fancy_new_block", payload: [1, 2] },
          { type: "text", text: "hi", citations: null, cache_control: { type: "ephemeral" } },
        ],
      },
      { role: "system", content: "mid-conversation" },
    ],
    tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 5 }],
  };
  assert.deepStrictEqual(validate(MessagesRequest, body), body);
});

Deno.test("validate gives count_tokens the same checks without max_tokens", () => {
  const { max_tokens: _t, ...body } = BASE;
  assert.deepStrictEqual(validate(CountTokensRequest, body), body);
  assert.throws(
    () => validate(CountTokensRequest, { ...body, messages: [{ role: "user", content: 1 }] }),
    /messages\.0\.content: /,
  );
});

Deno.test("validate tolerates block types named like Object.prototype members (fuzz)", () => {
  for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const request = validate(MessagesRequest, {
      model: "m",
      max_tokens: 1,
      messages: [{ role: "user", content: [{ type }] }],
    });
    assert.equal((request.messages[0].content as { type: string }[])[0].type, type);
  }
});

Deno.test("validate names the field when a tool_result image has no source (fuzz)", () => {
  rejects(
    {
      model: "m",
      max_tokens: 1,
      messages: [{
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "image" }] }],
      }],
    },
    "messages.0.content.0.content.0.source: Field required",
  );
});
