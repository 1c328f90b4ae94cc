/**
 * SSE bytes → decoded events: what real backends and intermediaries send (protocol D.3 step 2,
 * G.54).
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import {
  type DecodedEvent,
  SseDecoder,
  SseDecoderStream,
  type VaryingPath,
} from "../lib/sse_decoder.ts";
import { VARYING_FIELDS as ANTHROPIC_FIELDS } from "../lib/translate/anthropic_stream_to_openai.ts";
import { VARYING_FIELDS as OPENAI_FIELDS } from "../lib/translate/openai_stream_to_anthropic.ts";
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

// ---- The fast path for runs of similar events (SseDecoder's `varying`) -------------------------

/** Decodes with and without the fast path, split at the same places; both must agree exactly. */
function bothWays(text: string, varying: readonly VaryingPath[], splitAt: number[] = []) {
  const bytes = new TextEncoder().encode(text);
  const run = (decoder: SseDecoder) => {
    const out: DecodedEvent[] = [];
    let from = 0;
    for (const at of [...splitAt, bytes.length]) {
      out.push(...decoder.feed(bytes.subarray(from, at)));
      from = at;
    }
    return [...out, ...decoder.end()];
  };
  // Counts whole-event parses, to show the fast path is taken (a string alone is "…").
  const parse = JSON.parse;
  let parses = 0;
  JSON.parse = (text: string) => {
    if (!text.startsWith('"')) parses++;
    return parse(text);
  };
  let fast: DecodedEvent[];
  try {
    fast = run(new SseDecoder({ varying }));
  } finally {
    JSON.parse = parse;
  }
  const slow = run(new SseDecoder());
  deepStrictEqual(fast, slow);
  // Same key order too: the client sees re-serialized JSON.
  equal(JSON.stringify(fast), JSON.stringify(slow));
  return { events: fast, parses };
}

const openAIChunk = (content: string, extra = "") =>
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",` +
  `"choices":[{"index":0,"delta":{"content":${content}}${extra},"finish_reason":null}]}\n\n`;

Deno.test("SseDecoder fast path: text deltas decode exactly as JSON.parse would", () => {
  const contents = [
    '"Hello"',
    '" world"',
    '"line\\nbreak and \\"quotes\\" and \\\\ backslash"',
    '"\\u00e9\\u2028 unicode é 😀"',
    '""',
    '"\\ud83d"',
    '"tail backslash \\\\"',
    '"\\\\\\""', // an escaped backslash, then an escaped quote
  ];
  const text = contents.map((content) => openAIChunk(content)).join("") + "data: [DONE]\n\n";
  const { events, parses } = bothWays(text, OPENAI_FIELDS);
  equal(events.length, contents.length + 1);
  // The first chunk is learned; the rest take the fast path.
  equal(parses, 1);
});

Deno.test("SseDecoder fast path: a change anywhere but the varying strings takes JSON.parse", () => {
  const text = openAIChunk('"a"') + openAIChunk('"b"') +
    openAIChunk('"c"', ',"logprobs":null') + // a new field
    openAIChunk('"d"').replace('"index":0', '"index":1') + // another choice
    openAIChunk('"e"').replace('"content":"e"', '"content":"e","role":"assistant"') +
    openAIChunk('"f"').replace('"content":"f"', '"content":"f","tool_calls":[]') +
    'event: other\ndata: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"g"},"finish_reason":null}]}\n\n' +
    openAIChunk('"h"').replace('"finish_reason":null', '"finish_reason":"stop"') +
    openAIChunk('"i"') + openAIChunk('"j"') + openAIChunk('"k"') + " \n\n" +
    openAIChunk('"l"').replace("}]}", "}]} ") + // trailing space after the JSON
    openAIChunk('"m"').replace('{"id"', ' {"id"');
  bothWays(text, OPENAI_FIELDS);
});

Deno.test("SseDecoder fast path: invalid JSON in a matching event stays invalid", () => {
  const text = openAIChunk('"a"') + openAIChunk('"b"') +
    openAIChunk('"raw\ttab"') + // a raw control character
    openAIChunk('"lone backslash \\"') + // escapes the closing quote
    openAIChunk('"bad escape \\x"') +
    openAIChunk('"raw " quote"') +
    openAIChunk('"trailing"').replace("}]}", "}]}x") + // text after the JSON
    openAIChunk('"b"');
  const { events } = bothWays(text, OPENAI_FIELDS);
  deepStrictEqual(events.map((event) => event.kind), [
    "json",
    "json",
    "invalid",
    "invalid",
    "invalid",
    "invalid",
    "invalid",
    "json",
  ]);
});

Deno.test("SseDecoder fast path: OpenAI's per-chunk obfuscation padding is a second hole", () => {
  // Recorded shape (tests/fixtures/openai/openai_text.sse): random padding after the choices.
  const chunk = (content: string, padding: string) =>
    `data: {"id":"chatcmpl-D8","object":"chat.completion.chunk","created":1770933892,` +
    `"model":"gpt-4.1-nano","service_tier":"default","system_fingerprint":"fp_de",` +
    `"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"logprobs":null,` +
    `"finish_reason":null}],"usage":null,"obfuscation":${JSON.stringify(padding)}}\n\n`;
  const { parses } = bothWays(
    chunk("**", "yhjoJbEF") + chunk("Holiday", "dTh") + chunk(" Name", "yoKFv") +
      chunk('"x"', "") + chunk("", "Qup1BsQ3"),
    OPENAI_FIELDS,
  );
  equal(parses, 1);
});

Deno.test("SseDecoder fast path: reasoning and tool-argument deltas (DeepSeek, OpenAI)", () => {
  const reasoning = (text: string | null, content: string | null) =>
    `data: {"id":"6e","object":"chat.completion.chunk","created":1,"model":"deepseek-v4",` +
    `"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)},` +
    `"reasoning_content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]}\n\n`;
  const args = (fragment: string) =>
    `data: {"id":"c2","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":` +
    `{"arguments":${JSON.stringify(fragment)}}}]},"finish_reason":null}]}\n\n`;
  const { parses } = bothWays(
    reasoning("The", null) + reasoning(" user", null) + reasoning(" asks", null) +
      reasoning(null, "Hi") + reasoning(null, " there") +
      args('{"com') + args('mand": "ls') + args(' -la"}'),
    OPENAI_FIELDS,
  );
  // Learned: the first reasoning chunk, the first content chunk, the first arguments chunk.
  equal(parses, 3);
});

Deno.test("SseDecoder fast path: Anthropic deltas, matched by event name", () => {
  const delta = (text: string, event = "content_block_delta", index = 0) =>
    `event: ${event}\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${
      JSON.stringify(text)
    }}}\n\n`;
  const json = (partial: string) =>
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":${
      JSON.stringify(partial)
    }}}\n\n`;
  const { parses } = bothWays(
    delta("Hi") + delta(" there") + delta(" x", "other") + delta(" y", "content_block_delta", 1) +
      delta(" z", "content_block_delta", 1) + delta('"quoted"\n', "content_block_delta", 1) +
      json('{"path":') + json(' "a.ts"}'),
    ANTHROPIC_FIELDS,
  );
  // Parsed: "Hi", the other event, the first at index 1, the first input_json_delta.
  equal(parses, 4);
});

Deno.test("SseDecoder fast path: random streams agree with JSON.parse at every split", () => {
  const body = fc.oneof(
    fc.string({ unit: "binary", maxLength: 12 }).map((text) => JSON.stringify(text)),
    // Raw bodies, valid or not: quotes, backslashes and control characters unescaped.
    fc.string({ unit: fc.constantFrom("a", '"', "\\", "\t", "u", "0", "é", "n"), maxLength: 8 })
      .map((raw) => `"${raw}"`),
  );
  const withPadding = (content: string, padding: string) =>
    openAIChunk(content).replace("]}\n\n", `],"obfuscation":${padding}}\n\n`);
  const event = fc.oneof(
    { weight: 6, arbitrary: body.map((content) => openAIChunk(content)) },
    { weight: 6, arbitrary: fc.tuple(body, body).map(([a, b]) => withPadding(a, b)) },
    { weight: 1, arbitrary: body.map((content) => openAIChunk(content, ',"logprobs":null')) },
    { weight: 1, arbitrary: fc.constant("data: [DONE]\n\n") },
    { weight: 1, arbitrary: fc.constant(": keepalive\n\n") },
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 12 }), fc.nat(), (events, seed) => {
      const text = events.join("");
      const bytes = new TextEncoder().encode(text).length;
      const splitAt = bytes > 1 ? [1 + (seed % (bytes - 1))] : [];
      bothWays(text, OPENAI_FIELDS, splitAt);
    }),
    { seed: 42, numRuns: 600 },
  );
});
