/**
 * Request direction, message conversion (protocol.md D.1, G 1–12, 16–19, 29a): system prompts,
 * roles, tool call/result pairing and ordering. Input goes through the zod schema first.
 */
import assert from "node:assert/strict";
import { MessagesRequest } from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import { anthropicRequestToOpenAI } from "../lib/translate/anthropic_request_to_openai.ts";
import { clientToolId } from "../lib/translate/tool_names.ts";
import {
  assistant,
  call,
  convert,
  OPTIONS,
  text,
  toolResult,
  toolUse,
  translate,
  user,
} from "./_request.ts";

Deno.test("anthropicRequestToOpenAI turns a string system into one leading system message", () => {
  const out = translate({ system: "Be brief.", messages: [user("hi")] });
  assert.deepStrictEqual(out.value, {
    model: "gpt-4o",
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }],
    max_tokens: 1024,
  });
  assert.deepStrictEqual(out.warnings, []);
  assert.deepStrictEqual(out.toolNames, new Map());
});

Deno.test("anthropicRequestToOpenAI joins system blocks and strips cache_control", () => {
  const out = translate({
    system: [
      { type: "text", text: "First.", cache_control: { type: "ephemeral" } },
      { type: "text", text: "" },
      { type: "text", text: "Second.", cache_control: { type: "ephemeral", ttl: "1h" } },
    ],
    messages: [user([{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }])],
  });
  assert.deepStrictEqual(out.value.messages, [
    { role: "system", content: "First.\n\nSecond." },
    { role: "user", content: "hi" },
  ]);
  assert.doesNotMatch(JSON.stringify(out.value), /cache_control|ephemeral/);
});

Deno.test("anthropicRequestToOpenAI drops the billing header block", () => {
  const turn = (cch: string) =>
    translate({
      system: [
        text(`x-anthropic-billing-header: cc_version=2.1.328.a3f; cc_entrypoint=cli; cch=${cch};`),
        text("You are Claude Code."),
      ],
      messages: [user("hi")],
    }).value.messages[0];
  assert.deepStrictEqual(turn("97bd6"), { role: "system", content: "You are Claude Code." });
  assert.deepStrictEqual(turn("0a1b2"), turn("97bd6"));
  const only = translate({
    system: [text("x-anthropic-billing-header: cc_version=1; cch=1;")],
    messages: [user("hi")],
  });
  assert.deepStrictEqual(only.value.messages, [{ role: "user", content: "hi" }]);
});

Deno.test("anthropicRequestToOpenAI treats string content and one text block alike", () => {
  assert.deepStrictEqual(convert([user([text("hello")])]), convert([user("hello")]));
  assert.deepStrictEqual(convert([user([text("a"), text("b")])]), [
    { role: "user", content: "a\n\nb" },
  ]);
});

Deno.test("anthropicRequestToOpenAI sends a tool_use-only assistant turn with null content", () => {
  const out = convert([
    user("list"),
    assistant([toolUse("toolu_01A")]),
    user([toolResult("toolu_01A", "a.txt")]),
  ]);
  assert.deepStrictEqual(out, [
    { role: "user", content: "list" },
    { role: "assistant", content: null, tool_calls: [call("toolu_01A")] },
    { role: "tool", tool_call_id: "toolu_01A", content: "a.txt" },
  ]);
});

Deno.test("anthropicRequestToOpenAI concatenates assistant texts and keeps tool call order", () => {
  const out = convert([
    user("go"),
    assistant([text("one"), toolUse("t1", "Read", {}), text("two"), toolUse("t2", "Bash", null)]),
    user([toolResult("t1", "r1"), toolResult("t2", "r2")]),
  ]);
  assert.deepStrictEqual(out[1], {
    role: "assistant",
    content: "one\n\ntwo",
    tool_calls: [call("t1", "Read", "{}"), call("t2", "Bash", "{}")],
  });
});

Deno.test("anthropicRequestToOpenAI puts tool results before the user's other content", () => {
  const history = [user("go"), assistant([toolUse("A"), toolUse("B")])];
  const expected = [
    { role: "user", content: "go" },
    { role: "assistant", content: null, tool_calls: [call("A"), call("B")] },
    { role: "tool", tool_call_id: "A", content: "ra" },
    { role: "tool", tool_call_id: "B", content: "rb" },
    { role: "user", content: "next" },
  ];
  const after = [toolResult("A", "ra"), toolResult("B", "rb"), text("next")];
  assert.deepStrictEqual(convert([...history, user(after)]), expected);
  const before = [text("next"), toolResult("A", "ra"), toolResult("B", "rb")];
  assert.deepStrictEqual(convert([...history, user(before)]), expected);
});

Deno.test("anthropicRequestToOpenAI prefixes error tool results and fills empty ones", () => {
  const out = convert([
    user("go"),
    assistant([toolUse("A"), toolUse("B"), toolUse("C"), toolUse("D"), toolUse("E")]),
    user([
      toolResult("A", "exit code 1", { is_error: true }),
      toolResult("B"),
      toolResult("C", ""),
      toolResult("D", []),
      toolResult("E", null, { is_error: true }),
    ]),
  ]);
  assert.deepStrictEqual(out.slice(2), [
    { role: "tool", tool_call_id: "A", content: "Error: exit code 1" },
    { role: "tool", tool_call_id: "B", content: "(no output)" },
    { role: "tool", tool_call_id: "C", content: "(no output)" },
    { role: "tool", tool_call_id: "D", content: "(no output)" },
    { role: "tool", tool_call_id: "E", content: "Error: (no output)" },
  ]);
});

Deno.test("anthropicRequestToOpenAI repairs tool call pairing", () => {
  const out = convert([
    user("go"),
    assistant([toolUse("A"), toolUse("B")]),
    user([toolResult("B", "rb"), toolResult("ghost", "late", { is_error: true }), text("hm")]),
    assistant([toolUse("C")]),
    user("interrupted"),
    assistant([toolUse("D")]),
  ]);
  assert.deepStrictEqual(out, [
    { role: "user", content: "go" },
    { role: "assistant", content: null, tool_calls: [call("A"), call("B")] },
    { role: "tool", tool_call_id: "B", content: "rb" },
    { role: "tool", tool_call_id: "A", content: "[no result: the tool call was interrupted]" },
    { role: "user", content: "[tool result for ghost]: Error: late\n\nhm" },
    { role: "assistant", content: null, tool_calls: [call("C")] },
    { role: "tool", tool_call_id: "C", content: "[no result: the tool call was interrupted]" },
    { role: "user", content: "interrupted" },
    { role: "assistant", content: null, tool_calls: [call("D")] },
    { role: "tool", tool_call_id: "D", content: "[no result: the tool call was interrupted]" },
  ]);
});

Deno.test("anthropicRequestToOpenAI merges consecutive assistant messages into one turn", () => {
  const out = convert([
    user("go"),
    assistant([text("checking"), toolUse("A")]),
    assistant([toolUse("B")]),
    assistant([text("and")]),
    user([toolResult("A", "ra"), toolResult("B", "rb")]),
  ]);
  assert.deepStrictEqual(out.slice(1), [
    { role: "assistant", content: "checking\n\nand", tool_calls: [call("A"), call("B")] },
    { role: "tool", tool_call_id: "A", content: "ra" },
    { role: "tool", tool_call_id: "B", content: "rb" },
  ]);
});

Deno.test("anthropicRequestToOpenAI turns a repeated tool result into user text", () => {
  const out = convert([
    user("go"),
    assistant([toolUse("A")]),
    user([toolResult("A", "first"), toolResult("A", "again")]),
  ]);
  assert.deepStrictEqual(out.slice(2), [
    { role: "tool", tool_call_id: "A", content: "first" },
    { role: "user", content: "[tool result for A]: again" },
  ]);
});

Deno.test("anthropicRequestToOpenAI drops empty text blocks and messages left empty", () => {
  const out = convert([
    user([text(""), text("real")]),
    assistant([text(""), text("ok")]),
    user([text("")]),
    assistant(""),
    user("last"),
  ]);
  assert.deepStrictEqual(out, [
    { role: "user", content: "real" },
    { role: "assistant", content: "ok" },
    { role: "user", content: "last" },
  ]);
});

Deno.test("anthropicRequestToOpenAI keeps mid-conversation system messages in place", () => {
  const out = convert([
    user("one"),
    { role: "system", content: "plan mode" },
    assistant("two"),
    {
      role: "system",
      content: [{ type: "text", text: "a", cache_control: { type: "ephemeral" } }, text("b")],
    },
    user("three"),
    { role: "system", content: "" },
  ]);
  assert.deepStrictEqual(out, [
    { role: "user", content: "one" },
    { role: "system", content: "plan mode" },
    { role: "assistant", content: "two" },
    { role: "system", content: "a\n\nb" },
    { role: "user", content: "three" },
  ]);
});

Deno.test("anthropicRequestToOpenAI defers a system message until after tool results", () => {
  const out = convert([
    user("go"),
    assistant([toolUse("A")]),
    { role: "system", content: "reminder" },
    user([text("and then"), toolResult("A", "done")]),
    assistant([toolUse("B")]),
    { role: "system", content: "second" },
    assistant("gave up"),
  ]);
  assert.deepStrictEqual(out.slice(1), [
    { role: "assistant", content: null, tool_calls: [call("A")] },
    { role: "tool", tool_call_id: "A", content: "done" },
    { role: "system", content: "reminder" },
    { role: "user", content: "and then" },
    { role: "assistant", content: null, tool_calls: [call("B")] },
    { role: "tool", tool_call_id: "B", content: "[no result: the tool call was interrupted]" },
    { role: "system", content: "second" },
    { role: "assistant", content: "gave up" },
  ]);
});

Deno.test("anthropicRequestToOpenAI shortens tool names in history like in tools", () => {
  const long = `mcp__plugin_server__${"very_long_tool_name_".repeat(3)}`;
  const out = translate({
    tools: [{ name: long, input_schema: { type: "object" } }],
    messages: [user("go"), assistant([toolUse("A", long, {})]), user([toolResult("A", "ok")])],
  });
  const shortName = out.value.tools![0].function.name;
  assert.equal(shortName.length, 64);
  assert.deepStrictEqual(out.value.messages[1], {
    role: "assistant",
    content: null,
    tool_calls: [call("A", shortName, "{}")],
  });
  assert.deepStrictEqual(out.toolNames, new Map([[shortName, long]]));
});

Deno.test("anthropicRequestToOpenAI decodes client tool ids back to the backend's ids", () => {
  const kimi = "functions.Bash:0";
  const encoded = clientToolId(kimi);
  assert.match(encoded, /^toolu_cp_[0-9a-f]+$/);
  const out = convert([
    user("go"),
    assistant([toolUse(encoded)]),
    user([toolResult(encoded, "ok")]),
  ]);
  assert.deepStrictEqual(out.slice(1), [
    { role: "assistant", content: null, tool_calls: [call(kimi)] },
    { role: "tool", tool_call_id: kimi, content: "ok" },
  ]);
});

Deno.test("anthropicRequestToOpenAI sends a trailing assistant prefill as the last message", () => {
  const out = convert([user("Write JSON"), assistant([text("{")])]);
  assert.deepStrictEqual(out, [
    { role: "user", content: "Write JSON" },
    { role: "assistant", content: "{" },
  ]);
});

Deno.test("anthropicRequestToOpenAI does not modify the client's request", () => {
  const body = validate(MessagesRequest, {
    model: "claude-sonnet-4-5",
    max_tokens: 10,
    system: [text("x-anthropic-billing-header: cch=1;"), text("sys")],
    messages: [user("go"), assistant([toolUse("toolu_cp_41")]), user([toolResult("A", "x")])],
  });
  const before = structuredClone(body);
  anthropicRequestToOpenAI(body, OPTIONS);
  assert.deepStrictEqual(body, before);
});
