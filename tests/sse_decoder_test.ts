/**
 * SSE bytes → decoded events: what real backends and intermediaries send (protocol D.3 step 2,
 * G.54).
 */
import { deepStrictEqual } from "node:assert/strict";
import { type DecodedEvent, SseDecoderStream } from "../lib/sse_decoder.ts";
import { byteStream, collect } from "./_helpers.ts";

function decode(text: string, splitAt: number[] = []): Promise<DecodedEvent[]> {
  return collect(byteStream(text, splitAt).pipeThrough(new SseDecoderStream()));
}

function json(value: unknown, event?: string): DecodedEvent {
  return { kind: "json", event, value };
}

const DONE: DecodedEvent = { kind: "done" };

Deno.test("SseDecoderStream decodes data events and [DONE]", async () => {
  deepStrictEqual(await decode('data: {"a":1}\n\ndata: {"b":[2]}\n\ndata: [DONE]\n\n'), [
    json({ a: 1 }),
    json({ b: [2] }),
    DONE,
  ]);
});

Deno.test("SseDecoderStream skips comments, blank data and data keepalives", async () => {
  const text = ": OPENROUTER PROCESSING\n\n" +
    "data:\n\n" +
    "data:    \n\n" +
    "data: : keepalive\n\n" +
    'data: {"a":1}\n' +
    ": a comment inside an event\n\n" +
    "data: [DONE]\n\n";
  deepStrictEqual(await decode(text), [json({ a: 1 }), DONE]);
});

Deno.test("SseDecoderStream accepts CRLF and CR line endings", async () => {
  const lines = [": c", "", 'data: {"a":1}', "", "data: [DONE]", "", ""];
  for (const newline of ["\r\n", "\r"]) {
    deepStrictEqual(
      await decode(lines.join(newline)),
      [json({ a: 1 }), DONE],
      JSON.stringify(newline),
    );
  }
});

Deno.test("SseDecoderStream passes the event name and ignores id and retry fields", async () => {
  const text = 'event: error\nid: 3\nretry: 500\ndata: {"error":{"message":"x"}}\n\n' +
    'event: message\ndata: {"a":1}\n\n';
  deepStrictEqual(await decode(text), [
    json({ error: { message: "x" } }, "error"),
    json({ a: 1 }, "message"),
  ]);
});

Deno.test("SseDecoderStream joins multi-line data before parsing", async () => {
  deepStrictEqual(await decode('data: {"a":\ndata: 1}\n\n'), [json({ a: 1 })]);
});

Deno.test("SseDecoderStream tolerates missing spaces, padding and a byte-order mark", async () => {
  const text = '\uFEFFdata:{"a":1}\n\ndata:   {"b":2}   \n\ndata:[DONE]\n\n';
  deepStrictEqual(await decode(text), [json({ a: 1 }), json({ b: 2 }), DONE]);
});

Deno.test("SseDecoderStream reports malformed JSON as an invalid event, cut to 200 characters", async () => {
  const long = `{"text":"${"x".repeat(300)}`;
  deepStrictEqual(await decode(`data: {"a":\n\ndata: ${long}\n\ndata: {"b":2}\n\n`), [
    { kind: "invalid", text: '{"a":' },
    { kind: "invalid", text: long.slice(0, 200) },
    json({ b: 2 }),
  ]);
});

Deno.test("SseDecoderStream decodes JSON values that are not objects", async () => {
  deepStrictEqual(await decode('data: 42\n\ndata: "text"\n\ndata: null\n\n'), [
    json(42),
    json("text"),
    json(null),
  ]);
});

Deno.test("SseDecoderStream dispatches a last event that lacks its blank line", async () => {
  deepStrictEqual(await decode('data: {"a":1}\n\ndata: {"b":2}\n'), [
    json({ a: 1 }),
    json({ b: 2 }),
  ]);
  deepStrictEqual(await decode('data: {"a":1}\n\ndata: {"b":2}'), [json({ a: 1 }), json({ b: 2 })]);
  // A payload cut mid-JSON at EOF is reported, not dropped.
  deepStrictEqual(await decode('data: {"a":1}\n\ndata: {"b'), [
    json({ a: 1 }),
    { kind: "invalid", text: '{"b' },
  ]);
});

Deno.test("SseDecoderStream gives the same events at every split, multi-byte characters included", async () => {
  const text = ": ping\r\n\r\n" +
    'data: {"content":"17 × 23 = 391 °C 🙂 “quoted”"}\r\n\r\n' +
    "data: : keepalive\n\n" +
    'event: message\ndata: {"n":\ndata: 2}\n\n' +
    "data: [DONE]\n\n";
  const expected = [
    json({ content: "17 × 23 = 391 °C 🙂 “quoted”" }),
    json({ n: 2 }, "message"),
    DONE,
  ];
  const size = new TextEncoder().encode(text).length;
  deepStrictEqual(await decode(text), expected);
  for (let offset = 1; offset < size; offset++) {
    deepStrictEqual(await decode(text, [offset]), expected, `split at ${offset}`);
  }
  // Every byte on its own.
  const every = Array.from({ length: size - 1 }, (_, i) => i + 1);
  deepStrictEqual(await decode(text, every), expected);
});

Deno.test("SseDecoderStream decodes an empty body to no events", async () => {
  deepStrictEqual(await decode(""), []);
  deepStrictEqual(await decode("\n\n: only a comment\n\n"), []);
});
