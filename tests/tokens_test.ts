/** Token counting for count_tokens (TokenCounter) and image sizes (imageTokens). */
import assert from "node:assert/strict";
import type { ChatCompletionRequest, ChatMessage } from "../lib/openai/schema.ts";
import { estimateTokens, imageTokens, TokenCounter } from "../lib/tokens.ts";

const request = (messages: ChatMessage[], extra: Partial<ChatCompletionRequest> = {}) => ({
  model: "gpt-4o",
  messages,
  ...extra,
});

function base64(bytes: number[]): string {
  return btoa(String.fromCharCode(...bytes));
}
const be32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number) => [n & 255, n >>> 8];

/** The first bytes of a PNG: signature, IHDR length and type, width, height, depth… */
function pngUrl(width: number, height: number): string {
  const head = [137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82];
  return `data:image/png;base64,${base64([...head, ...be32(width), ...be32(height), 8, 6, 0, 0])}`;
}
function gifUrl(width: number, height: number): string {
  const head = [71, 73, 70, 56, 57, 97]; // GIF89a
  return `data:image/gif;base64,${base64([...head, ...le16(width), ...le16(height), 0, 0])}`;
}

Deno.test("imageTokens reads the size of a PNG", () => {
  assert.equal(imageTokens(pngUrl(100, 75)), 10);
  assert.equal(imageTokens(pngUrl(300, 200)), 80);
  assert.equal(imageTokens(pngUrl(1, 1)), 1);
  assert.equal(imageTokens(pngUrl(4000, 3000)), 1600);
});

Deno.test("imageTokens reads the size of a GIF", () => {
  assert.equal(imageTokens(gifUrl(150, 100)), 20);
});

Deno.test("imageTokens falls back to 1600 when the size is unknown", () => {
  assert.equal(imageTokens("https://x.test/a.png"), 1600);
  assert.equal(imageTokens("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ"), 1600);
  assert.equal(imageTokens("data:image/png;base64,iVBORw0KGgo="), 1600);
  assert.equal(imageTokens("data:image/png;base64,!!!!not-base64!!!!"), 1600);
  assert.equal(imageTokens(pngUrl(0, 100)), 1600);
});

Deno.test("TokenCounter counts a request's messages above zero", async () => {
  const counter = new TokenCounter();
  const count = await counter.count(request([{ role: "user", content: "Hello, world" }]));
  assert.ok(count > 6, `count ${count}`);
  assert.ok(count < 20, `count ${count}`);
});

Deno.test("TokenCounter count grows with content, tool calls and tools", async () => {
  const counter = new TokenCounter();
  const small = await counter.count(request([{ role: "user", content: "hi" }]));
  const large = await counter.count(request([{ role: "user", content: "hi ".repeat(500) }]));
  assert.ok(large > small + 400, `${small} → ${large}`);

  const withCall = await counter.count(request([
    { role: "user", content: "hi" },
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "c1",
        type: "function",
        function: { name: "Bash", arguments: '{"command":"ls -la /usr/local/lib"}' },
      }],
    },
    { role: "tool", tool_call_id: "c1", content: "total 0" },
  ]));
  assert.ok(withCall > small + 10, `${small} → ${withCall}`);

  const tool = {
    type: "function" as const,
    function: {
      name: "Read",
      description: "Reads a file from the local filesystem.",
      parameters: { type: "object", properties: { file_path: { type: "string" } } },
    },
  };
  const withTools = await counter.count(
    request([{ role: "user", content: "hi" }], { tools: [tool] }),
  );
  assert.ok(withTools > small + 10, `${small} → ${withTools}`);
});

Deno.test("TokenCounter counts image and file parts", async () => {
  const counter = new TokenCounter();
  const text = await counter.count(request([
    { role: "user", content: [{ type: "text", text: "look" }] },
  ]));
  const image = await counter.count(request([{
    role: "user",
    content: [{ type: "text", text: "look" }, {
      type: "image_url",
      image_url: { url: pngUrl(300, 200) },
    }],
  }]));
  assert.equal(image - text, 80);
  const pdf = await counter.count(request([{
    role: "user",
    content: [{
      type: "file",
      file: { filename: "a.pdf", file_data: `data:application/pdf;base64,${"A".repeat(6000)}` },
    }],
  }]));
  assert.ok(pdf >= 3000, `pdf ${pdf}`);
});

Deno.test("TokenCounter returns the same count from its cache on a second call", async () => {
  const long = "The quick brown fox jumps over the lazy dog. ".repeat(40);
  const body = request([{ role: "system", content: long }, { role: "user", content: "go" }]);
  const counter = new TokenCounter();
  const first = await counter.count(body);
  const second = await counter.count(body);
  assert.equal(second, first);
  assert.equal(await new TokenCounter().count(body), first);
});

Deno.test("TokenCounter keeps each text's own count in its cache", async () => {
  // Same length, very different token counts: a cache keyed by anything but the text would mix them.
  const words = "word ".repeat(100);
  const digits = Array.from({ length: 500 }, (_, i) => String(i % 10)).join("");
  assert.equal(words.length, digits.length);
  const fresh = async (text: string) =>
    await new TokenCounter().count(request([{ role: "user", content: text }]));
  const counter = new TokenCounter(1);
  const one = async (text: string) =>
    await counter.count(request([{ role: "user", content: text }]));
  const expectedWords = await fresh(words);
  const expectedDigits = await fresh(digits);
  assert.notEqual(expectedWords, expectedDigits);
  for (let i = 0; i < 3; i++) {
    assert.equal(await one(words), expectedWords);
    assert.equal(await one(digits), expectedDigits);
  }
});

Deno.test("estimateTokens gives a quick non-zero estimate", () => {
  const body = request([
    { role: "system", content: "x".repeat(400) },
    { role: "user", content: [{ type: "image_url", image_url: { url: "https://x.test/a.png" } }] },
  ]);
  assert.equal(estimateTokens(body), 100 + 1600 + 2 * 3);
  assert.ok(estimateTokens(request([{ role: "user", content: "" }])) > 0);
});

Deno.test("TokenCounter counts a 200,000-character run in linear time (fuzz)", async () => {
  const counter = new TokenCounter();
  const started = performance.now();
  const count = await counter.count({
    model: "m",
    messages: [{ role: "user", content: "x".repeat(200_000) }],
  });
  // Whole-run BPE took ~16 s here; pieces take milliseconds (bound generous for slow CI).
  assert.ok(performance.now() - started < 3000, `${performance.now() - started} ms`);
  assert.ok(count > 200_000 / 16 && count < 200_000, String(count));
});
