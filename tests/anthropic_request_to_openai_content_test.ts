/**
 * Request direction, content blocks (protocol.md A.2, G 8, 13–15, 29): images, documents, search
 * results, tool result contents, thinking and unknown block types.
 */
import assert from "node:assert/strict";
import {
  assert400,
  assistant,
  convert,
  PNG,
  PNG_PART,
  text,
  toolResult,
  toolUse,
  translate,
  user,
} from "./_request.ts";

Deno.test("anthropicRequestToOpenAI moves tool result images into a following user message", () => {
  const out = convert([
    user("shot"),
    assistant([toolUse("A", "Screenshot", {}), toolUse("B", "Screenshot", {})]),
    user([
      toolResult("A", [text("captured"), { type: "image", source: PNG }]),
      toolResult("B", [{ type: "image", source: { type: "url", url: "https://x.test/b.png" } }]),
      text("what do you see?"),
    ]),
  ]);
  assert.deepStrictEqual(out.slice(2), [
    { role: "tool", tool_call_id: "A", content: "captured" },
    { role: "tool", tool_call_id: "B", content: "(see the image below)" },
    {
      role: "user",
      content: [
        { type: "text", text: "Image output of tool call A:" },
        PNG_PART,
        { type: "text", text: "Image output of tool call B:" },
        { type: "image_url", image_url: { url: "https://x.test/b.png" } },
        { type: "text", text: "what do you see?" },
      ],
    },
  ]);
});

Deno.test("anthropicRequestToOpenAI flattens text, search results and tool references in tool results", () => {
  const out = translate({
    messages: [
      user("go"),
      assistant([toolUse("A", "Search", {})]),
      user([toolResult("A", [
        text("line 1"),
        text("line 2"),
        { type: "search_result", source: "https://d.test", title: "Doc", content: [text("body")] },
        { type: "tool_reference", tool_name: "mcp__x__y" },
        { type: "browser_state", url: "about:blank" },
      ])]),
    ],
  });
  assert.deepStrictEqual(out.value.messages[2], {
    role: "tool",
    tool_call_id: "A",
    content: "line 1\nline 2\nDoc\nhttps://d.test\nbody\n[tool: mcp__x__y]",
  });
  assert.deepStrictEqual(out.warnings, ['tool_result: block of type "browser_state" was dropped']);
});

Deno.test("anthropicRequestToOpenAI never sends thinking or redacted_thinking as text", () => {
  const out = translate({
    messages: [
      user([text("q"), { type: "thinking", thinking: "user-side?", signature: "s" }]),
      assistant([
        { type: "thinking", thinking: "SECRET REASONING", signature: "sig" },
        { type: "redacted_thinking", data: "REDACTED_DATA" },
        text("answer"),
      ]),
      user("more"),
      assistant([{ type: "thinking", thinking: "ONLY THINKING", signature: "sig" }]),
    ],
  });
  assert.deepStrictEqual(out.value.messages, [
    { role: "user", content: "q" },
    { role: "assistant", content: "answer" },
    { role: "user", content: "more" },
  ]);
  assert.doesNotMatch(JSON.stringify(out.value), /SECRET|REDACTED_DATA|ONLY THINKING|user-side/);
  assert.deepStrictEqual(out.warnings, []);
});

Deno.test("anthropicRequestToOpenAI translates base64 and url images and rejects file images", () => {
  const out = convert([user([
    text("compare"),
    { type: "image", source: PNG },
    { type: "image", source: { type: "url", url: "https://x.test/a.jpg" } },
  ])]);
  assert.deepStrictEqual(out, [{
    role: "user",
    content: [
      { type: "text", text: "compare" },
      PNG_PART,
      { type: "image_url", image_url: { url: "https://x.test/a.jpg" } },
    ],
  }]);
  assert400(
    () => convert([user([{ type: "image", source: { type: "file", file_id: "file_1" } }])]),
    /file source/,
  );
});

Deno.test("anthropicRequestToOpenAI sends PDFs as file parts only to PDF-capable backends", () => {
  const pdf = (title?: string) => ({
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
    ...(title ? { title } : {}),
  });
  assert.deepStrictEqual(convert([user([pdf("report"), pdf()])], { acceptsPdf: true }), [{
    role: "user",
    content: [
      {
        type: "file",
        file: { filename: "report.pdf", file_data: "data:application/pdf;base64,JVBERi0x" },
      },
      {
        type: "file",
        file: { filename: "document.pdf", file_data: "data:application/pdf;base64,JVBERi0x" },
      },
    ],
  }]);
  assert400(() => convert([user([pdf("report")])], { acceptsPdf: false }), /PDF/);
});

Deno.test("anthropicRequestToOpenAI turns text and content documents into text", () => {
  const out = convert([user([
    {
      type: "document",
      source: { type: "text", media_type: "text/plain", data: "file body" },
      title: "notes.txt",
      context: "from the repo",
    },
    { type: "document", source: { type: "content", content: [text("c1"), text("c2")] } },
    { type: "document", source: { type: "content", content: "plain" } },
  ])]);
  assert.deepStrictEqual(out, [{
    role: "user",
    content: "notes.txt\nfrom the repo\n\nfile body\n\nc1\nc2\n\nplain",
  }]);
  assert400(
    () => convert([user([{ type: "document", source: { type: "url", url: "https://x/a.pdf" } }])]),
    /url source/,
  );
});

Deno.test("anthropicRequestToOpenAI turns a search_result block into text", () => {
  const out = convert([user([{
    type: "search_result",
    source: "https://docs.test/page",
    title: "Page",
    content: [text("alpha"), text("beta")],
  }])]);
  assert.deepStrictEqual(out, [{
    role: "user",
    content: "Page\nhttps://docs.test/page\nalpha\nbeta",
  }]);
});

Deno.test("anthropicRequestToOpenAI drops unknown block types with a warning", () => {
  const out = translate({
    messages: [
      user([text("q"), { type: "container_upload", file_id: "f" }]),
      assistant([
        { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
        { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] },
        text("a"),
      ]),
      { role: "system", content: [text("s"), { type: "image", source: PNG }] },
    ],
    system: [text("sys"), { type: "fancy_new_block" }],
  });
  assert.deepStrictEqual(out.value.messages, [
    { role: "system", content: "sys" },
    { role: "user", content: "q" },
    { role: "assistant", content: "a" },
    { role: "system", content: "s" },
  ]);
  assert.deepStrictEqual(out.warnings, [
    'system block of type "fancy_new_block" was dropped',
    'user message: block of type "container_upload" was dropped',
    'assistant message: block of type "server_tool_use" was dropped',
    'assistant message: block of type "web_search_tool_result" was dropped',
    'system message: block of type "image" was dropped',
  ]);
});
