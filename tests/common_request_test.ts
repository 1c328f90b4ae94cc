/**
 * The request fast path (commonMessagesRequest) against zod: for what it accepts it returns what
 * MessagesRequest would, and everything unusual or invalid is left to zod.
 */
import assert from "node:assert/strict";
import { commonMessagesRequest, MessagesRequest } from "../lib/anthropic/schema.ts";
import { claudeCodeRequest, smallRequest } from "../bench/fixtures.ts";

const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

Deno.test("fast path: Claude Code requests come out as zod's", () => {
  for (
    const request of [
      smallRequest(),
      smallRequest(true),
      claudeCodeRequest({ targetBytes: 15_000 }),
      claudeCodeRequest({ targetBytes: 45_000 }),
    ]
  ) {
    const fast = commonMessagesRequest(request);
    assert.ok(fast, "the common request takes the fast path");
    assert.deepEqual(plain(fast), plain(MessagesRequest.parse(request)));
  }
});

Deno.test("fast path: unusual or invalid input is left to zod", () => {
  const base = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] };
  const cases: unknown[] = [
    null,
    [],
    { ...base, messages: [] },
    { ...base, model: "" },
    { ...base, max_tokens: 1.5 },
    { ...base, messages: [{ role: "bot", content: "hi" }] },
    { ...base, messages: [{ role: "user", content: [{ type: "text", text: 1 }] }] },
    { ...base, messages: [{ role: "user", content: [{ text: "no type" }] }] },
    {
      ...base,
      messages: [{
        role: "user",
        content: [{ type: "image", source: { type: "base64", media_type: "x", data: "" } }],
      }],
    },
    {
      ...base,
      messages: [{
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "image" }] }],
      }],
    },
    { ...base, messages: [{ role: "assistant", content: [{ type: "tool_use", id: "a" }] }] },
    { ...base, system: [{ type: "text", text: "s", cache_control: "x" }] },
    { ...base, tools: [{ name: "" }] },
    { ...base, tools: [{ name: "t", input_schema: [] }] },
    { ...base, tool_choice: { type: "sometimes" } },
  ];
  for (const body of cases) {
    assert.equal(commonMessagesRequest(body), undefined, JSON.stringify(body));
  }
});

Deno.test("fast path: unknown block types pass through as zod lets them", () => {
  const body = {
    model: "m",
    max_tokens: 10,
    messages: [{ role: "user", content: [{ type: "container_upload", file_id: "f" }] }],
  };
  const fast = commonMessagesRequest(body);
  assert.ok(fast);
  assert.deepEqual(plain(fast), plain(MessagesRequest.parse(body)));
});
