/**
 * OpenAI chat-completion streams → Anthropic stream events: every recorded backend fixture with
 * its complete expected event list (written out by hand from the fixture), invariance under
 * arbitrary TCP splits, and the synthetic edge cases of protocol G.30–58.
 */
import { deepStrictEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { MessageStream } from "@anthropic-ai/sdk/lib/MessageStream";
import type { StreamEvent, Usage } from "../lib/anthropic/schema.ts";
import { clientToolId, upstreamToolId } from "../lib/translate/tool_names.ts";
import { accumulate, assertGrammar, fixtureText, sseText, translateSse } from "./_helpers.ts";

// ---- Expected-event builders ------------------------------------------------------------------

/** proxySignature() without payload: "cp1." + base64url("{}"). */
const SIG = "cp1.e30";
const BACKEND = "http://upstream.test/v1";
const GEMINI_SIGNED_ID = clientToolId(
  "function-call-5193384761730651342",
  "CmQBcsjafKz8k3Q2nJd0Xh7vYt1LwR5eUo9sGbT4aPqZ6mNcVfHiK2yDxE0jWlS8rB3uA7gO1pMtQkCnJ5vXzY9dRwL4hFeT6sUaGqPo2iKmNbVcXzL0yHtRwE=",
);

function usage(input: number, output: number, cacheRead = 0, cacheWrite = 0): Usage {
  return {
    input_tokens: input,
    output_tokens: output,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

function messageStart(inputTokens = 10): StreamEvent {
  return {
    type: "message_start",
    message: {
      id: "msg_test",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usage(inputTokens, 1),
    },
  };
}

function textBlock(index: number, ...deltas: string[]): StreamEvent[] {
  return [
    { type: "content_block_start", index, content_block: { type: "text", text: "" } },
    ...deltas.map((text): StreamEvent => ({
      type: "content_block_delta",
      index,
      delta: { type: "text_delta", text },
    })),
    { type: "content_block_stop", index },
  ];
}

/** Text block still open when the stream fails (no stop follows). */
function openTextBlock(index: number, ...deltas: string[]): StreamEvent[] {
  return textBlock(index, ...deltas).slice(0, -1);
}

function thinkingBlock(index: number, ...deltas: string[]): StreamEvent[] {
  return [
    {
      type: "content_block_start",
      index,
      content_block: { type: "thinking", thinking: "", signature: "" },
    },
    ...deltas.map((thinking): StreamEvent => ({
      type: "content_block_delta",
      index,
      delta: { type: "thinking_delta", thinking },
    })),
    { type: "content_block_delta", index, delta: { type: "signature_delta", signature: SIG } },
    { type: "content_block_stop", index },
  ];
}

function toolBlock(index: number, id: string, name: string, json: string): StreamEvent[] {
  return [
    {
      type: "content_block_start",
      index,
      content_block: { type: "tool_use", id, name, input: {} },
    },
    { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json } },
    { type: "content_block_stop", index },
  ];
}

function end(
  stopReason: "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "refusal",
  finalUsage: Usage,
  stopSequence: string | null = null,
): StreamEvent[] {
  return [
    {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: stopSequence },
      usage: finalUsage,
    },
    { type: "message_stop" },
  ];
}

function errorEvent(type: string, message: string): StreamEvent {
  return { type: "error", error: { type, message } };
}

// ---- Chunk builders for synthetic streams -----------------------------------------------------

function chunk(
  delta: Record<string, unknown> | null,
  finishReason: string | null = null,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "backend-model",
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...extra,
  };
}

function toolChunk(...calls: Record<string, unknown>[]): Record<string, unknown> {
  return chunk({ tool_calls: calls });
}

function usageChunk(value: Record<string, unknown>): Record<string, unknown> {
  return { id: "chatcmpl-1", object: "chat.completion.chunk", choices: [], usage: value };
}

const USAGE_20_5 = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };

/** Replaces generated `toolu_` + 24 base62 ids (after checking their form) so lists compare. */
function normalizeGeneratedIds(events: StreamEvent[]): { events: StreamEvent[]; ids: string[] } {
  const ids: string[] = [];
  const out = events.map((event) => {
    if (event.type !== "content_block_start" || event.content_block.type !== "tool_use") {
      return event;
    }
    const id = event.content_block.id;
    if (!/^toolu_[0-9A-Za-z]{24}$/.test(id)) return event;
    ids.push(id);
    return { ...event, content_block: { ...event.content_block, id: "toolu_<generated>" } };
  });
  return { events: out, ids };
}

/** The Anthropic SDK's own accumulator over our events (G.30: finalMessage). */
async function sdkFinalMessage(events: StreamEvent[]) {
  const encoder = new TextEncoder();
  const lines = events.map((event) => encoder.encode(`${JSON.stringify(event)}\n`));
  return await MessageStream.fromReadableStream(ReadableStream.from(lines)).finalMessage();
}

// ---- Fixtures: complete expected event lists ---------------------------------------------------

interface FixtureCase {
  file: string;
  title: string;
  thinking?: boolean;
  expected: StreamEvent[];
}

const FIXTURE_CASES: FixtureCase[] = [
  {
    file: "openai_text.sse",
    title: "OpenAIToAnthropicStream translates a plain text stream with a trailing usage chunk " +
      "(openai)",
    expected: [
      messageStart(),
      // Role chunk content "" opens nothing.
      ...textBlock(
        0,
        "**",
        "Holiday",
        " Name",
        ":**",
        " Harmony",
        " Day",
        "\n\n",
        "**",
        "Date",
        ":**",
        " Celebr",
        "ated",
        " annually",
        " on",
        " the",
        " first",
        " Saturday",
        " of",
        " May",
        " mutual",
        " respect",
        ".",
      ),
      // Usage arrives in the choices:[] chunk after the finish chunk.
      ...end("end_turn", usage(16, 300)),
    ],
  },
  {
    file: "openai_text_then_tool_call.sse",
    title: "OpenAIToAnthropicStream emits text block 0 then tool_use block 1 (openai)",
    expected: [
      messageStart(),
      ...textBlock(0, "PRE", "_TOOL"),
      // Header with arguments "" and "{}" in the next chunk: one delta with the joined text.
      ...toolBlock(1, "call_NZa7xqfefoaMI2YYHowVXVlU", "weather", "{}"),
      ...end("tool_use", usage(58, 12)),
    ],
  },
  {
    file: "openai_tool_calls_parallel.sse",
    title: "OpenAIToAnthropicStream emits two tool_use blocks for parallel calls keyed by index " +
      "(openai)",
    expected: [
      messageStart(),
      ...toolBlock(0, "call_8Hq2LmXv0sTn4RbWc7YkPz1D", "get_weather", '{"location": "Paris"}'),
      ...toolBlock(1, "call_R5fJ9aKe2WuNx7QcTg0vLm3B", "get_weather", '{"location": "Tokyo"}'),
      ...end("tool_use", usage(82, 46)),
    ],
  },
  {
    file: "azure_prompt_filter_first.sse",
    title: "OpenAIToAnthropicStream ignores the prompt_filter_results chunk with empty choices " +
      "(azure)",
    expected: [
      messageStart(),
      ...textBlock(0, "Capital", " of", " Denmark", "."),
      ...end("end_turn", usage(15, 78)),
    ],
  },
  {
    file: "deepseek_reasoning.sse",
    title: "OpenAIToAnthropicStream emits reasoning_content as thinking block 0 and usage from " +
      "the finish chunk (deepseek)",
    expected: [
      messageStart(),
      // The first chunk's reasoning_content "" opens nothing.
      ...thinkingBlock(
        0,
        "We",
        " need",
        " answer",
        " simple",
        ".",
        " Need",
        " count",
        " r",
        " in",
        " strawberry",
        ".",
        " answer",
        ".",
      ),
      ...textBlock(
        1,
        "There",
        " are",
        " **",
        "3",
        "**",
        " “",
        "r",
        "”",
        "s",
        " in",
        " **",
        "“",
        "st",
        "raw",
        "berry",
        "”",
        "**.",
      ),
      ...end("end_turn", usage(97, 106)),
    ],
  },
  {
    file: "deepseek_reasoning_tool_call.sse",
    title: "OpenAIToAnthropicStream closes thinking before a tool call and maps cache hits " +
      "(deepseek)",
    expected: [
      messageStart(),
      ...thinkingBlock(
        0,
        "The",
        " user",
        " asks",
        " about",
        " the",
        " weather",
        " in",
        " San",
        " Francisco",
        ".",
        " I",
        " should",
        " use",
        " the",
        " weather",
        " tool",
        ".",
      ),
      ...toolBlock(
        1,
        "call_00_IhCAliIHtM9gKpgfqbBV9873",
        "weather",
        '{"location": "San Francisco"}',
      ),
      // prompt 374 with 256 cached → input 118, cache_read 256.
      ...end("tool_use", usage(118, 61, 256)),
    ],
  },
  {
    file: "groq_tool_call_one_chunk.sse",
    title: "OpenAIToAnthropicStream emits a whole tool call from one delta (groq)",
    expected: [
      messageStart(),
      ...toolBlock(0, "tk85n1k4m", "weather", "{}"),
      ...end("tool_use", usage(210, 15)),
    ],
  },
  {
    file: "groq_reasoning.sse",
    title: "OpenAIToAnthropicStream emits delta.reasoning as thinking (groq)",
    expected: [
      messageStart(),
      ...thinkingBlock(
        0,
        "Okay",
        ",",
        " let",
        " me",
        " try",
        " to",
        " figure",
        " out",
        " how",
        " many",
        " times",
        " the",
        " letter",
        " '",
        "r",
        "'",
        " appears",
        " in",
        " the",
        " word",
        ' "',
        "str",
        "aw",
        "berry",
        '."',
      ),
      ...textBlock(
        1,
        "str",
        "aw",
        "berry",
        '".\n\n',
        "**",
        "Final",
        " Answer",
        "**:",
        " $\\",
        "boxed",
        "{",
        "3",
        "}$",
      ),
      ...end("end_turn", usage(17, 1107)),
    ],
  },
  {
    file: "xai_reasoning_usage.sse",
    title: "OpenAIToAnthropicStream counts reasoning from total_tokens in output_tokens (xai)",
    expected: [
      messageStart(),
      ...thinkingBlock(0, "First", ",", " the", " user", " is"),
      ...toolBlock(1, "call_55117580", "weather", '{"location":"San Francisco"}'),
      // prompt 291 (290 cached), total 513 → output 513 - 291 = 222 > completion 26.
      ...end("tool_use", usage(1, 222, 290)),
    ],
  },
  {
    file: "mistral_tool_call_no_index.sse",
    title: "OpenAIToAnthropicStream tracks a tool call without index by its id (mistral)",
    expected: [
      messageStart(),
      ...toolBlock(0, "gSIMJiOkT", "weather", '{"location": "San Francisco"}'),
      ...end("tool_use", usage(124, 22)),
    ],
  },
  {
    file: "mistral_thinking_content_array.sse",
    title: "OpenAIToAnthropicStream reads thinking parts of content arrays (mistral)",
    expected: [
      messageStart(),
      ...thinkingBlock(
        0,
        "Okay, the",
        " user is",
        " asking for the product",
        " of 1",
        "7 and 2",
        "3. I need",
        " to calculate",
        " this",
        " multiplication",
        "91.\n\nSo",
        ", 17",
        " * 23",
        " = 39",
        "1.",
      ),
      // The chunk mixing a thinking part and a text part "3", then the string "91".
      ...textBlock(1, "3", "91"),
      ...end("end_turn", usage(28, 139)),
    ],
  },
  {
    file: "mistral_thinking_content_array.sse",
    title: "OpenAIToAnthropicStream drops content-array thinking when thinking is off (mistral)",
    thinking: false,
    expected: [
      messageStart(),
      ...textBlock(0, "3", "91"),
      ...end("end_turn", usage(28, 139)),
    ],
  },
  {
    file: "claude_gateway_parallel_tool_calls.sse",
    title: "OpenAIToAnthropicStream handles tool indices starting at 1 and repeated roles " +
      "(claude gateway)",
    expected: [
      messageStart(),
      ...textBlock(
        0,
        "I'll run both",
        " `ls` commands in a",
        " single turn for you -",
        " one on the current directory an",
        "d one on the `working_dir`.",
      ),
      ...toolBlock(
        1,
        "toolu_bdrk_01RMTd7R9DzQjEEWgDwzcBsU",
        "developer__shell",
        '{"command": "ls"}',
      ),
      ...toolBlock(
        2,
        "toolu_bdrk_016bgVTGZdpjP8ehjMWp9cWW",
        "developer__shell",
        '{"command": "ls working_dir"}',
      ),
      // Every chunk carries usage; the last one (completion 122) wins.
      ...end("tool_use", usage(4982, 122)),
    ],
  },
  {
    file: "gemini_text.sse",
    title: "OpenAIToAnthropicStream handles content in the finish chunk and hidden thinking " +
      "tokens (gemini)",
    expected: [
      messageStart(),
      ...textBlock(
        0,
        "No",
        ", 391 is not a prime number. It factors as 17 × 23, so besides 1 and itself",
        " it is divisible by 17 and by 23.",
      ),
      // total 575 - prompt 11 = 564 > completion 38.
      ...end("end_turn", usage(11, 564)),
    ],
  },
  {
    file: "gemini_tool_call_finish_stop.sse",
    title: "OpenAIToAnthropicStream emits tool_use for finish_reason stop (gemini)",
    expected: [
      messageStart(),
      // The thought signature rides in the tool id (reasoning_round_trip_test.ts decodes it).
      ...toolBlock(0, GEMINI_SIGNED_ID, "get_weather", '{"location":"Paris"}'),
      ...end("tool_use", usage(74, 91)),
    ],
  },
  {
    file: "ollama_text.sse",
    title: "OpenAIToAnthropicStream translates a text stream with role on every delta (ollama)",
    expected: [
      messageStart(),
      ...textBlock(0, "The", " capital", " of", " Montana", " is", " Helena", "."),
      ...end("end_turn", usage(38, 8)),
    ],
  },
  {
    file: "ollama_reasoning_tool_call.sse",
    title: "OpenAIToAnthropicStream emits thinking, text and tool_use as blocks 0,1,2 (ollama)",
    expected: [
      messageStart(),
      ...thinkingBlock(
        0,
        "The",
        " user",
        " wants",
        " to",
        " implement",
        " Option",
        " C",
        ":",
        "\n\nLet",
        " me",
        " write",
        " this",
        " now",
        ".",
      ),
      ...textBlock(1, "Good", ",", " let", " me", " implement", " Option", " C", "."),
      ...toolBlock(
        2,
        "call_zypd5okh",
        "read",
        '{"path":"src/coding/tools/edit.zig","offset":230,"limit":30}',
      ),
      ...end("tool_use", usage(21898, 3120)),
    ],
  },
  {
    file: "openrouter_reasoning_comments.sse",
    title: "OpenAIToAnthropicStream skips SSE comments and reads reasoning (openrouter)",
    expected: [
      messageStart(),
      // The chunk holding only the reasoning_details signature adds nothing.
      ...thinkingBlock(0, "The user wants", " the sum of 17", " and 25. That", " is 42."),
      ...textBlock(1, "17 + 25", " = **42**."),
      // The usage chunk after the finish chunk has a non-empty choices array.
      ...end("end_turn", usage(48, 41)),
    ],
  },
  {
    file: "openrouter_midstream_error.sse",
    title: "OpenAIToAnthropicStream turns a mid-stream error object into an error event " +
      "(openrouter)",
    expected: [
      messageStart(),
      ...openTextBlock(0, "Here is", " the first", " part of"),
      // code 502 → overloaded_error; nothing follows the error event.
      errorEvent(
        "overloaded_error",
        `Upstream ${BACKEND} reported an error in its stream: Provider disconnected unexpectedly`,
      ),
    ],
  },
  {
    file: "vllm_stop_sequence.sse",
    title: "OpenAIToAnthropicStream reports the matched stop string as stop_sequence (vllm)",
    expected: [
      messageStart(),
      ...textBlock(
        0,
        "1",
        ".",
        "  Preheat",
        " the",
        " oven",
        " to",
        " 180",
        "°C",
        ".\n",
        "2",
        ".",
        "  Whisk",
        " the",
        " eggs",
        " and",
        " sugar",
        ".\n",
      ),
      ...end("stop_sequence", usage(42, 19), "3."),
    ],
  },
  {
    file: "lmstudio_think_tags.sse",
    title: "OpenAIToAnthropicStream splits inline think tags split across chunks (lmstudio)",
    expected: [
      messageStart(),
      // "<think>", "\n" are held; whitespace around the reasoning is dropped; "</th"+"ink>" closes.
      ...thinkingBlock(
        0,
        "Okay",
        ",",
        " the",
        " user",
        " just",
        " said",
        " hello",
        ".",
        " I",
        " should",
        " greet",
        " them",
        " back",
        ".",
      ),
      // "\n\n" after </think> is dropped.
      ...textBlock(1, "Hello", "!", " How", " can", " I", " help", " you", " today", "?"),
      // No usage: estimate from 57 thinking + 32 text characters → ceil(89 / 4) = 23.
      ...end("end_turn", usage(10, 23)),
    ],
  },
  {
    file: "lmstudio_think_tags.sse",
    title: "OpenAIToAnthropicStream emits only the text after </think> when thinking is off " +
      "(lmstudio)",
    thinking: false,
    expected: [
      messageStart(),
      ...textBlock(0, "Hello", "!", " How", " can", " I", " help", " you", " today", "?"),
      ...end("end_turn", usage(10, 23)),
    ],
  },
  {
    file: "openai_search_annotations.sse",
    title: "OpenAIToAnthropicStream passes a search model's text through when the request had " +
      "no web search tool (openai, annotations; search mode: web_search_test.ts)",
    expected: [
      messageStart(),
      ...textBlock(
        0,
        "Deno 2.9 was released in November ",
        "([deno.com](https://deno.com/blog/v2.9?utm_source=openai)).",
      ),
      ...end("end_turn", usage(412, 38)),
    ],
  },
];

const FIXTURE_DIR = new URL("./fixtures/openai/", import.meta.url);

Deno.test("OpenAIToAnthropicStream has an expected event list for every .sse fixture", () => {
  const files = [...Deno.readDirSync(FIXTURE_DIR)]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".sse"))
    .sort();
  const covered = [...new Set(FIXTURE_CASES.map((item) => item.file))].sort();
  deepStrictEqual(covered, files);
});

for (const item of FIXTURE_CASES) {
  Deno.test(item.title, async () => {
    const events = await translateSse(fixtureText(`openai/${item.file}`), {
      thinking: item.thinking ?? true,
    });
    assertGrammar(events);
    deepStrictEqual(events, item.expected);
  });
}

Deno.test("OpenAIToAnthropicStream output matches the Anthropic SDK's finalMessage for every fixture", async () => {
  for (const item of FIXTURE_CASES) {
    if (item.expected.at(-1)?.type === "error") continue;
    const events = await translateSse(fixtureText(`openai/${item.file}`), {
      thinking: item.thinking ?? true,
    });
    const message = await sdkFinalMessage(events);
    const delta = item.expected.at(-2);
    ok(delta?.type === "message_delta");
    deepStrictEqual(message.content, accumulate(item.expected), item.file);
    equal(message.stop_reason, delta.delta.stop_reason, item.file);
    equal(message.stop_sequence, delta.delta.stop_sequence, item.file);
    equal(message.usage.output_tokens, delta.usage.output_tokens, item.file);
    equal(message.usage.input_tokens, delta.usage.input_tokens, item.file);
  }
});

// ---- Split invariance ------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so failures are reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const encoder = new TextEncoder();
const UNIQUE_FIXTURES = [...new Map(FIXTURE_CASES.map((item) => [item.file, item])).values()]
  .map((item) => ({ ...item, size: encoder.encode(fixtureText(`openai/${item.file}`)).length }))
  .sort((a, b) => a.size - b.size);
const EVERY_OFFSET = new Set(UNIQUE_FIXTURES.slice(0, 5).map((item) => item.file));

for (const item of UNIQUE_FIXTURES) {
  const exhaustive = EVERY_OFFSET.has(item.file);
  Deno.test(
    `OpenAIToAnthropicStream gives the same events for ${item.file} split ${
      exhaustive ? "at every byte offset" : "at 50 seeded random offset sets"
    }`,
    async () => {
      const text = fixtureText(`openai/${item.file}`);
      const options = { thinking: item.thinking ?? true };
      const splits: number[][] = [];
      if (exhaustive) {
        for (let offset = 1; offset < item.size; offset++) splits.push([offset]);
      } else {
        const random = prng(item.size);
        for (let set = 0; set < 50; set++) {
          const count = 1 + Math.floor(random() * 24);
          const cuts = Array.from(
            { length: count },
            () => 1 + Math.floor(random() * (item.size - 1)),
          );
          splits.push([...new Set(cuts)].sort((a, b) => a - b));
        }
      }
      // And every byte in its own read (UTF-8 characters and CRLF pairs cut everywhere).
      splits.push(Array.from({ length: item.size - 1 }, (_, i) => i + 1));
      for (const split of splits) {
        const events = await translateSse(text, options, split);
        deepStrictEqual(events, item.expected, `split at ${split.slice(0, 30).join(",")}`);
      }
    },
  );
}

// ---- Synthetic edge cases (protocol G.30–58) ----------------------------------------------------

Deno.test("OpenAIToAnthropicStream opens no block for a role chunk with empty or null content", async () => {
  for (const content of ["", null]) {
    const events = await translateSse(sseText([
      chunk({ role: "assistant", content }),
      chunk({ content: "Hi" }),
      chunk({}, "stop"),
      usageChunk(USAGE_20_5),
    ]));
    assertGrammar(events);
    deepStrictEqual(events, [
      messageStart(),
      ...textBlock(0, "Hi"),
      ...end("end_turn", usage(20, 5)),
    ]);
  }
});

const REASONING_THEN_TEXT = sseText([
  chunk({ role: "assistant", content: null, reasoning_content: "" }),
  chunk({ reasoning_content: "Let me think" }),
  chunk({ reasoning_content: " about it." }),
  chunk({ content: "Answer" }),
  chunk({ content: " here." }, "stop"),
  usageChunk(USAGE_20_5),
]);

Deno.test("OpenAIToAnthropicStream emits thinking block 0 with signature_delta before its stop, then text block 1", async () => {
  const events = await translateSse(REASONING_THEN_TEXT, { thinking: true });
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...thinkingBlock(0, "Let me think", " about it."),
    ...textBlock(1, "Answer", " here."),
    ...end("end_turn", usage(20, 5)),
  ]);
  const stop = events.findIndex((event) => event.type === "content_block_stop");
  deepStrictEqual(events[stop - 1], {
    type: "content_block_delta",
    index: 0,
    delta: { type: "signature_delta", signature: SIG },
  });
});

Deno.test("OpenAIToAnthropicStream drops reasoning and puts text at index 0 when thinking is not requested", async () => {
  const events = await translateSse(REASONING_THEN_TEXT, { thinking: false });
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...textBlock(0, "Answer", " here."),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream numbers text, tool, text as blocks 0,1,2", async () => {
  const events = await translateSse(sseText([
    chunk({ role: "assistant", content: "Checking." }),
    toolChunk({
      index: 0,
      id: "call_1",
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Paris"}' },
    }),
    chunk({ content: "Done." }),
    chunk({}, "tool_calls"),
  ]));
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...textBlock(0, "Checking."),
    ...toolBlock(1, "call_1", "get_weather", '{"city":"Paris"}'),
    ...textBlock(2, "Done."),
    // No usage: 9 + 5 text characters + 16 argument characters = 30 → ceil(30 / 4) = 8.
    ...end("tool_use", usage(10, 8)),
  ]);
});

Deno.test("OpenAIToAnthropicStream joins arguments split over many chunks into one tool_use", async () => {
  const pieces = ['{"comm', 'and": "ls', " -la", '", "time', 'out": 5000', "}"];
  const events = await translateSse(sseText([
    toolChunk({
      index: 0,
      id: "call_1",
      type: "function",
      function: { name: "Bash", arguments: "" },
    }),
    ...pieces.map((arguments_) => toolChunk({ index: 0, function: { arguments: arguments_ } })),
    chunk({}, "tool_calls"),
    usageChunk(USAGE_20_5),
  ]));
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_1", "Bash", '{"command": "ls -la", "timeout": 5000}'),
    ...end("tool_use", usage(20, 5)),
  ]);
  deepStrictEqual(accumulate(events), [
    { type: "tool_use", id: "call_1", name: "Bash", input: { command: "ls -la", timeout: 5000 } },
  ]);
});

Deno.test("OpenAIToAnthropicStream emits a whole call from one chunk as start, one input_json_delta, stop", async () => {
  const events = await translateSse(sseText([
    chunk(
      {
        role: "assistant",
        tool_calls: [{
          index: 0,
          id: "call_w",
          type: "function",
          function: { name: "Read", arguments: '{"file_path":"a.txt"}' },
        }],
      },
      "tool_calls",
      { usage: USAGE_20_5 },
    ),
  ]));
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_w", "Read", '{"file_path":"a.txt"}'),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream buffers arguments that arrive before the name", async () => {
  const streams = [
    // The name comes later without an id…
    [
      toolChunk({ index: 0, id: "call_late", function: { arguments: '{"q":' } }),
      toolChunk({ index: 0, function: { arguments: '"x"}' } }),
      toolChunk({ index: 0, function: { name: "search" } }),
    ],
    // …or as a header carrying the id.
    [
      toolChunk({ index: 0, function: { arguments: '{"q":' } }),
      toolChunk({ index: 0, function: { arguments: '"x"}' } }),
      toolChunk({ index: 0, id: "call_late", type: "function", function: { name: "search" } }),
    ],
  ];
  for (const chunks of streams) {
    const events = await translateSse(sseText([...chunks, chunk({}, "tool_calls")]), {
      onWarning: (warning) => {
        throw new Error(`unexpected warning: ${warning}`);
      },
    });
    assertGrammar(events);
    deepStrictEqual(events, [
      messageStart(),
      ...toolBlock(0, "call_late", "search", '{"q":"x"}'),
      ...end("tool_use", usage(10, 3)),
    ]);
  }
});

Deno.test("OpenAIToAnthropicStream tracks fragments without index by id, then by order", async () => {
  const byId = await translateSse(sseText([
    toolChunk({ id: "call_a", function: { name: "f", arguments: '{"x":' } }),
    toolChunk({ id: "call_b", function: { name: "g", arguments: '{"y":' } }),
    toolChunk({ id: "call_a", function: { arguments: "1}" } }),
    toolChunk({ id: "call_b", function: { arguments: "2}" } }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(byId);
  deepStrictEqual(byId, [
    messageStart(),
    ...toolBlock(0, "call_a", "f", '{"x":1}'),
    ...toolBlock(1, "call_b", "g", '{"y":2}'),
    ...end("tool_use", usage(20, 5)),
  ]);

  // Without id or index: a continuation goes to the latest call; a complete call repeated with
  // its name (Gemini sends whole calls with neither) is a new call.
  const byOrder = await translateSse(sseText([
    toolChunk({ id: "call_a", function: { name: "f", arguments: '{"x":' } }),
    toolChunk({ function: { arguments: "1}" } }),
    toolChunk({ function: { name: "f", arguments: '{"x":2}' } }),
    chunk({}, "stop", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(byOrder);
  const { events, ids } = normalizeGeneratedIds(byOrder);
  equal(ids.length, 1);
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_a", "f", '{"x":1}'),
    ...toolBlock(1, "toolu_<generated>", "f", '{"x":2}'),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream emits two blocks for parallel calls that both use index 0", async () => {
  const events = await translateSse(sseText([
    toolChunk({ index: 0, id: "call_a", function: { name: "Read", arguments: "" } }),
    toolChunk({ index: 0, function: { arguments: '{"file_path":"a"}' } }),
    toolChunk({ index: 0, id: "call_b", function: { name: "Read", arguments: "" } }),
    // A continuation with index 0 and no id goes to the newest call with that index.
    toolChunk({ index: 0, function: { arguments: '{"file_path":"b"}' } }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_a", "Read", '{"file_path":"a"}'),
    ...toolBlock(1, "call_b", "Read", '{"file_path":"b"}'),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream routes continuation fragments with index but no id to their call", async () => {
  const events = await translateSse(sseText([
    toolChunk(
      { index: 0, id: "call_a", function: { name: "f", arguments: "" } },
      { index: 1, id: "call_b", function: { name: "g", arguments: "" } },
    ),
    toolChunk({ index: 1, function: { arguments: '{"b":2}' } }),
    toolChunk({ index: 0, function: { arguments: '{"a":1}' } }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_a", "f", '{"a":1}'),
    ...toolBlock(1, "call_b", "g", '{"b":2}'),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream generates a toolu_ id for a missing or empty id", async () => {
  const events = await translateSse(sseText([
    toolChunk({ index: 0, id: "", function: { name: "Bash", arguments: '{"command":"pwd"}' } }),
    toolChunk({ index: 1, function: { name: "Bash", arguments: '{"command":"ls"}' } }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(events);
  const normalized = normalizeGeneratedIds(events);
  equal(normalized.ids.length, 2);
  notEqual(normalized.ids[0], normalized.ids[1]);
  deepStrictEqual(normalized.events, [
    messageStart(),
    ...toolBlock(0, "toolu_<generated>", "Bash", '{"command":"pwd"}'),
    ...toolBlock(1, "toolu_<generated>", "Bash", '{"command":"ls"}'),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream encodes the Kimi id functions.Bash:0 into a valid, reversible id", async () => {
  const events = await translateSse(sseText([
    toolChunk({
      index: 0,
      id: "functions.Bash:0",
      function: { name: "Bash", arguments: '{"command":"pwd"}' },
    }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(events);
  // "toolu_cp_" + hex of the UTF-8 bytes of "functions.Bash:0".
  const id = "toolu_cp_66756e6374696f6e732e426173683a30";
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, id, "Bash", '{"command":"pwd"}'),
    ...end("tool_use", usage(20, 5)),
  ]);
  match(id, /^[a-zA-Z0-9_-]+$/);
  equal(upstreamToolId(id), "functions.Bash:0");
});

Deno.test("OpenAIToAnthropicStream assembles interleaved fragments 0,1,0,1 into correct inputs", async () => {
  const events = await translateSse(sseText([
    toolChunk({ index: 0, id: "call_a", function: { name: "f", arguments: '{"a":' } }),
    toolChunk({ index: 1, id: "call_b", function: { name: "g", arguments: '{"b":' } }),
    toolChunk({ index: 0, function: { arguments: '"x"}' } }),
    toolChunk({ index: 1, function: { arguments: '"y"}' } }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_a", "f", '{"a":"x"}'),
    ...toolBlock(1, "call_b", "g", '{"b":"y"}'),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream fails explicitly on arguments for a call that already ended", async () => {
  // text → tool → text closes the tool; a later fragment for it cannot be delivered correctly.
  const events = await translateSse(sseText([
    toolChunk({ index: 0, id: "call_a", function: { name: "f", arguments: '{"a":"x"' } }),
    chunk({ content: "and" }),
    toolChunk({ index: 0, function: { arguments: "}" } }),
    chunk({}, "tool_calls"),
  ]));
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    // The text closed the call: its arguments (a complete value) were repaired then.
    ...toolBlock(0, "call_a", "f", '{"a":"x"}'),
    ...openTextBlock(1, "and"),
    errorEvent(
      "api_error",
      `Upstream ${BACKEND} sent tool-call arguments after the call had ended`,
    ),
  ]);
});

Deno.test("OpenAIToAnthropicStream emits tool_use for finish_reason stop with tool calls (synthetic)", async () => {
  const events = await translateSse(sseText([
    toolChunk({ index: 0, id: "call_1", function: { name: "f", arguments: "{}" } }),
    chunk({}, "stop", { usage: USAGE_20_5 }),
  ]));
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_1", "f", "{}"),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream maps finish_reason tool_calls without any call to end_turn", async () => {
  const events = await translateSse(sseText([
    chunk({ content: "Hi" }, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  deepStrictEqual(events, [
    messageStart(),
    ...textBlock(0, "Hi"),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream drops a tool call that never got a name, with a warning", async () => {
  const warnings: string[] = [];
  const events = await translateSse(
    sseText([
      toolChunk({ index: 0, id: "call_x", function: { arguments: '{"a":1}' } }),
      chunk({}, "tool_calls", { usage: USAGE_20_5 }),
    ]),
    { onWarning: (warning) => warnings.push(warning) },
  );
  assertGrammar(events);
  deepStrictEqual(events, [messageStart(), ...end("end_turn", usage(20, 5))]);
  deepStrictEqual(warnings, ["dropped a tool call without a function name (id call_x)"]);
});

Deno.test("OpenAIToAnthropicStream maps finish_reason length mid-arguments to max_tokens or an error event", async () => {
  // Cut after a complete value: the missing brackets are closed; stop_reason max_tokens.
  const repairable = await translateSse(sseText([
    chunk({ content: "Listing." }),
    toolChunk({
      index: 0,
      id: "call_1",
      function: { name: "Bash", arguments: '{"command": "ls", "description": "list"' },
    }),
    chunk({}, "length", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(repairable);
  deepStrictEqual(repairable, [
    messageStart(),
    ...textBlock(0, "Listing."),
    ...toolBlock(1, "call_1", "Bash", '{"command":"ls","description":"list"}'),
    ...end("max_tokens", usage(20, 5)),
  ]);

  // Cut inside a string: completing it would invent input (a truncated shell command must not
  // run), so the documented behaviour (tool_arguments.ts) is an error event, not a tool_use.
  const truncated = await translateSse(sseText([
    chunk({ content: "Cleaning." }),
    toolChunk({
      index: 0,
      id: "call_1",
      function: { name: "Bash", arguments: '{"command": "rm -rf /tmp/bu' },
    }),
    chunk({}, "length", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(truncated);
  deepStrictEqual(truncated, [
    messageStart(),
    // The text block was closed before the arguments were checked.
    ...textBlock(0, "Cleaning."),
    errorEvent(
      "api_error",
      'The model called tool "Bash" with arguments are not valid JSON: {"command": "rm -rf /tmp/bu',
    ),
  ]);

  // Text only.
  const text = await translateSse(sseText([chunk({ content: "Once upon" }, "length")]));
  deepStrictEqual(text, [
    messageStart(),
    ...textBlock(0, "Once upon"),
    ...end("max_tokens", usage(10, 3)),
  ]);
});

Deno.test("OpenAIToAnthropicStream maps content_filter to refusal", async () => {
  const withText = await translateSse(sseText([
    chunk({ role: "assistant", content: "I can" }),
    chunk({}, "content_filter", { usage: USAGE_20_5 }),
  ]));
  deepStrictEqual(withText, [
    messageStart(),
    ...textBlock(0, "I can"),
    ...end("refusal", usage(20, 5)),
  ]);
  const empty = await translateSse(sseText([
    chunk({ role: "assistant", content: "" }, "content_filter", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(empty);
  deepStrictEqual(empty, [messageStart(), ...end("refusal", usage(20, 5))]);
});

Deno.test("OpenAIToAnthropicStream maps a vLLM stop_reason string to stop_sequence, a token id to end_turn", async () => {
  const matched = await translateSse(sseText([
    chunk({ content: "1. eggs" }),
    {
      ...chunk({ content: "" }, "stop"),
      choices: [{ index: 0, delta: {}, finish_reason: "stop", stop_reason: "###" }],
    },
    usageChunk(USAGE_20_5),
  ]));
  deepStrictEqual(matched, [
    messageStart(),
    ...textBlock(0, "1. eggs"),
    ...end("stop_sequence", usage(20, 5), "###"),
  ]);
  const tokenId = await translateSse(sseText([
    chunk({ content: "1. eggs" }),
    {
      ...chunk({}),
      choices: [{ index: 0, delta: {}, finish_reason: "stop", stop_reason: 151645 }],
    },
    usageChunk(USAGE_20_5),
  ]));
  deepStrictEqual(tokenId, [
    messageStart(),
    ...textBlock(0, "1. eggs"),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream takes usage after the finish chunk, inside it, or estimates it", async () => {
  const after = await translateSse(sseText([
    chunk({ content: "Hi" }),
    chunk({}, "stop"),
    usageChunk({ prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 }),
  ]));
  deepStrictEqual(after.at(-2), end("end_turn", usage(30, 7))[0]);

  const inside = await translateSse(sseText([
    chunk({ content: "Hi" }),
    chunk({}, "stop", { usage: { prompt_tokens: 31, completion_tokens: 8, total_tokens: 39 } }),
  ]));
  deepStrictEqual(inside.at(-2), end("end_turn", usage(31, 8))[0]);

  // Groq repeats usage under x_groq only on some chunks.
  const groq = await translateSse(sseText([
    chunk({ content: "Hi" }),
    chunk({}, "stop", { x_groq: { usage: { prompt_tokens: 32, completion_tokens: 9 } } }),
  ]));
  deepStrictEqual(groq.at(-2), end("end_turn", usage(32, 9))[0]);

  // None: the request estimate for input, characters / 4 for output, never 0.
  const absent = await translateSse(
    sseText([chunk({ content: "abcdefghi" }), chunk({}, "stop")]),
    { inputTokens: 1234 },
  );
  assertGrammar(absent);
  deepStrictEqual(absent, [
    messageStart(1234),
    ...textBlock(0, "abcdefghi"),
    ...end("end_turn", usage(1234, 3)),
  ]);
});

Deno.test("OpenAIToAnthropicStream subtracts cached tokens from input_tokens", async () => {
  const cases: [Record<string, unknown>, Usage][] = [
    [
      { prompt_tokens: 339, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 320 } },
      usage(19, 5, 320),
    ],
    // DeepSeek's own fields.
    [
      {
        prompt_tokens: 339,
        completion_tokens: 5,
        prompt_cache_hit_tokens: 320,
        prompt_cache_miss_tokens: 19,
      },
      usage(19, 5, 320),
    ],
    [
      {
        prompt_tokens: 339,
        completion_tokens: 5,
        prompt_tokens_details: { cached_tokens: 300, cache_write_tokens: 30 },
      },
      usage(9, 5, 300, 30),
    ],
  ];
  for (const [upstream, expected] of cases) {
    const events = await translateSse(sseText([
      chunk({ content: "Hi" }, "stop"),
      usageChunk(upstream),
    ]));
    deepStrictEqual(events.at(-2), end("end_turn", expected)[0], JSON.stringify(upstream));
  }
});

Deno.test("OpenAIToAnthropicStream counts reasoning hidden in total_tokens (xai)", async () => {
  const events = await translateSse(sseText([
    chunk({ content: "Hi" }, "stop"),
    usageChunk({ prompt_tokens: 100, completion_tokens: 10, total_tokens: 150 }),
  ]));
  deepStrictEqual(events.at(-2), end("end_turn", usage(100, 50))[0]);
});

Deno.test("OpenAIToAnthropicStream ends normally at EOF after a finish_reason without [DONE]", async () => {
  const events = await translateSse(
    sseText([chunk({ content: "Hi" }), chunk({}, "stop"), usageChunk(USAGE_20_5)], {
      done: false,
    }),
  );
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...textBlock(0, "Hi"),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream emits an error event and no message_stop when the stream is cut", async () => {
  const cut = await translateSse(sseText([chunk({ content: "Hel" })], { done: false }));
  assertGrammar(cut);
  deepStrictEqual(cut, [
    messageStart(),
    ...openTextBlock(0, "Hel"),
    errorEvent("api_error", `Upstream ${BACKEND} ended the stream before finishing the answer`),
  ]);

  // Cut in the middle of a JSON payload.
  const midJson = await translateSse(
    `${sseText([chunk({ content: "Hel" })], { done: false })}data: {"choi`,
  );
  assertGrammar(midJson);
  deepStrictEqual(midJson, [
    messageStart(),
    ...openTextBlock(0, "Hel"),
    errorEvent("api_error", `Upstream ${BACKEND} sent a malformed stream chunk: {"choi`),
  ]);

  // Tool calls pending at the cut are not emitted either.
  const tools = await translateSse(
    sseText([toolChunk({ index: 0, id: "c", function: { name: "f", arguments: "{}" } })], {
      done: false,
    }),
  );
  deepStrictEqual(tools, [
    messageStart(),
    errorEvent("api_error", `Upstream ${BACKEND} ended the stream before finishing the answer`),
  ]);
});

Deno.test("OpenAIToAnthropicStream maps mid-stream error objects and finish_reason error to typed error events", async () => {
  const cases: [unknown, string, string][] = [
    [
      { error: { message: "Rate limit reached", type: "rate_limit_error", code: 429 } },
      "rate_limit_error",
      `Upstream ${BACKEND} reported an error in its stream: Rate limit reached`,
    ],
    [
      {
        error: {
          message: "The server is overloaded",
          type: "server_error",
          code: "server_is_overloaded",
        },
      },
      "overloaded_error",
      `Upstream ${BACKEND} reported an error in its stream: The server is overloaded`,
    ],
    [
      {
        error: {
          message: "Rate limit reached for tokens",
          type: "tokens",
          code: "rate_limit_exceeded",
        },
      },
      "rate_limit_error",
      `Upstream ${BACKEND} reported an error in its stream: Rate limit reached for tokens`,
    ],
    [
      {
        error: {
          message:
            "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.",
          type: "invalid_request_error",
          code: "context_length_exceeded",
        },
      },
      "invalid_request_error",
      `prompt is too long: Upstream ${BACKEND} reported an error in its stream: This model's maximum context length ` +
      "is 8192 tokens. However, you requested 9000 tokens.",
    ],
    [
      { error: { message: "Internal error", type: "server_error", code: null } },
      "api_error",
      `Upstream ${BACKEND} reported an error in its stream: Internal error`,
    ],
    [
      { error: "upstream went away" },
      "api_error",
      `Upstream ${BACKEND} reported an error in its stream: upstream went away`,
    ],
  ];
  for (const [payload, type, message] of cases) {
    const events = await translateSse(
      `${sseText([chunk({ content: "Hi" })], { done: false })}data: ${
        JSON.stringify(payload)
      }\n\n` +
        sseText([chunk({ content: " more" }, "stop")]),
    );
    assertGrammar(events);
    deepStrictEqual(events, [messageStart(), ...openTextBlock(0, "Hi"), errorEvent(type, message)]);
  }

  // finish_reason "error" without an error object.
  const finishError = await translateSse(sseText([
    chunk({ content: "Hi" }),
    chunk({}, "error"),
  ]));
  assertGrammar(finishError);
  deepStrictEqual(finishError, [
    messageStart(),
    ...openTextBlock(0, "Hi"),
    errorEvent(
      "api_error",
      `Upstream ${BACKEND} reported an error in its stream: the backend reported finish_reason "error"`,
    ),
  ]);

  // An `event: error` frame, whatever its data.
  const eventError = await translateSse(
    `${sseText([chunk({ content: "Hi" })], { done: false })}event: error\n` +
      `data: {"message":"Overloaded","type":"overloaded_error"}\n\n`,
  );
  assertGrammar(eventError);
  deepStrictEqual(eventError, [
    messageStart(),
    ...openTextBlock(0, "Hi"),
    errorEvent(
      "overloaded_error",
      `Upstream ${BACKEND} reported an error in its stream: Overloaded`,
    ),
  ]);
});

Deno.test("OpenAIToAnthropicStream ignores SSE comments, blank data, data keepalives and CRLF endings", async () => {
  const body = [
    ": OPENROUTER PROCESSING",
    "",
    "data:",
    "",
    "data: : keepalive",
    "",
    `data: ${JSON.stringify(chunk({ role: "assistant", content: "A" }))}`,
    "",
    "event: message",
    "id: 7",
    "retry: 1000",
    `data: ${JSON.stringify(chunk({ content: "B" }))}`,
    "",
    ": ping",
    `data:${JSON.stringify(chunk({}, "stop", { usage: USAGE_20_5 }))}`,
    "",
    "data: [DONE]",
    "",
    "",
  ];
  for (const newline of ["\n", "\r\n", "\r"]) {
    const events = await translateSse(body.join(newline));
    assertGrammar(events);
    deepStrictEqual(
      events,
      [messageStart(), ...textBlock(0, "A", "B"), ...end("end_turn", usage(20, 5))],
      JSON.stringify(newline),
    );
  }
});

Deno.test("OpenAIToAnthropicStream keeps its message id when chunk ids change and model/created are missing", async () => {
  const events = await translateSse(sseText([
    { id: "a1", choices: [{ index: 0, delta: { content: "x" } }] },
    { id: "b2", choices: [{ index: 0, delta: { content: "y" } }] },
    { id: "c3", choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: USAGE_20_5 },
  ]));
  deepStrictEqual(events, [
    messageStart(),
    ...textBlock(0, "x", "y"),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream ignores an Azure chunk with empty choices and a second choice", async () => {
  const events = await translateSse(sseText([
    { choices: [], id: "", model: "", object: "", created: 0, prompt_filter_results: [{}] },
    {
      choices: [
        { index: 1, delta: { content: "other choice" } },
        { index: 0, delta: { content: "x" } },
      ],
    },
    chunk({}, "stop", { usage: USAGE_20_5 }),
  ]));
  deepStrictEqual(events, [messageStart(), ...textBlock(0, "x"), ...end("end_turn", usage(20, 5))]);
});

Deno.test("OpenAIToAnthropicStream stringifies arguments sent as a JSON object", async () => {
  const events = await translateSse(sseText([
    toolChunk({ index: 0, id: "call_o", function: { name: "f", arguments: { a: 1, b: ["x"] } } }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_o", "f", '{"a":1,"b":["x"]}'),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream turns an empty completion into zero blocks and end_turn", async () => {
  const events = await translateSse(sseText([
    chunk({ role: "assistant", content: "" }),
    chunk({ content: "" }, "stop"),
  ]));
  assertGrammar(events);
  // No usage and no output: output_tokens is still 1, never 0.
  deepStrictEqual(events, [messageStart(), ...end("end_turn", usage(10, 1))]);
});

Deno.test("OpenAIToAnthropicStream emits an error event for a malformed JSON chunk or a non-chunk value", async () => {
  const malformed = await translateSse(
    `data: ${JSON.stringify(chunk({ content: "Hi" }))}\n\ndata: {"choices": [}\n\ndata: [DONE]\n\n`,
  );
  assertGrammar(malformed);
  deepStrictEqual(malformed, [
    messageStart(),
    ...openTextBlock(0, "Hi"),
    errorEvent("api_error", `Upstream ${BACKEND} sent a malformed stream chunk: {"choices": [}`),
  ]);
  const notChunk = await translateSse('data: {"choices": "nope"}\n\ndata: [DONE]\n\n');
  assertGrammar(notChunk);
  deepStrictEqual(notChunk, [
    messageStart(),
    errorEvent(
      "api_error",
      `Upstream ${BACKEND} sent a chunk that is not a chat completion chunk: {"choices":"nope"}`,
    ),
  ]);
});

Deno.test("OpenAIToAnthropicStream maps shortened tool names back via toolNames", async () => {
  const events = await translateSse(
    sseText([
      toolChunk({
        index: 0,
        id: "call_m",
        function: { name: "mcp__github_com__create_issue_1a2b3c4d", arguments: "{}" },
      }),
      chunk({}, "tool_calls", { usage: USAGE_20_5 }),
    ]),
    {
      toolNames: new Map([[
        "mcp__github_com__create_issue_1a2b3c4d",
        "mcp__github.com__create_issue",
      ]]),
    },
  );
  deepStrictEqual(events, [
    messageStart(),
    ...toolBlock(0, "call_m", "mcp__github.com__create_issue", "{}"),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream reads a legacy function_call delta as a tool call", async () => {
  const events = await translateSse(sseText([
    chunk({ role: "assistant", function_call: { name: "f", arguments: '{"a":' } }),
    chunk({ function_call: { arguments: "1}" } }),
    chunk({}, "function_call", { usage: USAGE_20_5 }),
  ]));
  const { events: normalized, ids } = normalizeGeneratedIds(events);
  equal(ids.length, 1);
  deepStrictEqual(normalized, [
    messageStart(),
    ...toolBlock(0, "toolu_<generated>", "f", '{"a":1}'),
    ...end("tool_use", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream reads Mistral content arrays with thinking and text parts", async () => {
  const stream = sseText([
    chunk({ role: "assistant", content: "" }),
    chunk({ content: [{ type: "thinking", thinking: [{ type: "text", text: "Hmm" }] }] }),
    chunk({ content: [{ type: "thinking", thinking: "… ok" }, { type: "text", text: "4" }] }),
    chunk({ content: [{ type: "text", text: "2" }, { type: "image_url", image_url: {} }] }, "stop"),
    usageChunk(USAGE_20_5),
  ]);
  deepStrictEqual(await translateSse(stream), [
    messageStart(),
    ...thinkingBlock(0, "Hmm", "… ok"),
    ...textBlock(1, "4", "2"),
    ...end("end_turn", usage(20, 5)),
  ]);
  deepStrictEqual(await translateSse(stream, { thinking: false }), [
    messageStart(),
    ...textBlock(0, "4", "2"),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream emits a refusal delta as text", async () => {
  const events = await translateSse(sseText([
    chunk({ role: "assistant", content: null, refusal: "I can't help" }),
    chunk({ refusal: " with that." }, "stop", { usage: USAGE_20_5 }),
  ]));
  deepStrictEqual(events, [
    messageStart(),
    ...textBlock(0, "I can't help", " with that."),
    ...end("end_turn", usage(20, 5)),
  ]);
});

// ---- Inline <think> tags --------------------------------------------------------------------

function contentStream(pieces: string[], finish = "stop"): string {
  return sseText([
    chunk({ role: "assistant", content: "" }),
    ...pieces.map((content) => chunk({ content })),
    chunk({}, finish, { usage: USAGE_20_5 }),
  ]);
}

Deno.test("OpenAIToAnthropicStream splits think tags after leading whitespace and split opening tags", async () => {
  const events = await translateSse(
    contentStream(["\n ", "<th", "ink>Plan", " it.", "</think>", "\n\nDone."]),
  );
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...thinkingBlock(0, "Plan", " it."),
    ...textBlock(1, "Done."),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream leaves think tags alone when the answer does not start with them", async () => {
  const events = await translateSse(contentStream(["Use ", "<think>", " tags", "</think>", "."]));
  deepStrictEqual(events, [
    messageStart(),
    ...textBlock(0, "Use ", "<think>", " tags", "</think>", "."),
    ...end("end_turn", usage(20, 5)),
  ]);
  // A start that only looks like the tag for a while is released whole.
  const html = await translateSse(contentStream(["<", "thi", "s>", " is html"]));
  deepStrictEqual(html, [
    messageStart(),
    ...textBlock(0, "<this>", " is html"),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream emits no block for empty think tags", async () => {
  const events = await translateSse(contentStream(["<think>\n\n</think>\n\n", "Hi"]));
  deepStrictEqual(events, [
    messageStart(),
    ...textBlock(0, "Hi"),
    ...end("end_turn", usage(20, 5)),
  ]);
});

Deno.test("OpenAIToAnthropicStream keeps unterminated think content as thinking at max_tokens", async () => {
  const events = await translateSse(
    contentStream(["<think>", "Long ", "reasoning </th"], "length"),
  );
  assertGrammar(events);
  // The held "</th" is released as thinking at the end: it never became a closing tag.
  deepStrictEqual(events, [
    messageStart(),
    ...thinkingBlock(0, "Long", " reasoning", " </th"),
    ...end("max_tokens", usage(20, 5)),
  ]);
  const off = await translateSse(contentStream(["<think>", "Long ", "reasoning"], "length"), {
    thinking: false,
  });
  deepStrictEqual(off, [messageStart(), ...end("max_tokens", usage(20, 5))]);
});

Deno.test("OpenAIToAnthropicStream orders think tags, then a tool call, and drops whitespace-only text", async () => {
  const events = await translateSse(sseText([
    chunk({ role: "assistant", content: "<think>Need a file." }),
    chunk({ content: "</think>\n\n" }),
    toolChunk({ index: 0, id: "call_r", function: { name: "Read", arguments: '{"path":"a"}' } }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(events);
  deepStrictEqual(events, [
    messageStart(),
    ...thinkingBlock(0, "Need a file."),
    ...toolBlock(1, "call_r", "Read", '{"path":"a"}'),
    ...end("tool_use", usage(20, 5)),
  ]);

  // A tool call ends unterminated reasoning: what follows it is the answer.
  const unterminated = await translateSse(sseText([
    chunk({ role: "assistant", content: "<think>Need a file.\n" }),
    toolChunk({ index: 0, id: "call_r", function: { name: "Read", arguments: '{"path":"a"}' } }),
    chunk({ content: "Reading now." }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  assertGrammar(unterminated);
  deepStrictEqual(unterminated, [
    messageStart(),
    ...thinkingBlock(0, "Need a file."),
    ...toolBlock(1, "call_r", "Read", '{"path":"a"}'),
    ...textBlock(2, "Reading now."),
    ...end("tool_use", usage(20, 5)),
  ]);

  // Whitespace-only content before a tool call makes no text block.
  const blank = await translateSse(sseText([
    chunk({ role: "assistant", content: "\n\n" }),
    toolChunk({ index: 0, id: "call_r", function: { name: "Read", arguments: "{}" } }),
    chunk({}, "tool_calls", { usage: USAGE_20_5 }),
  ]));
  deepStrictEqual(blank, [
    messageStart(),
    ...toolBlock(0, "call_r", "Read", "{}"),
    ...end("tool_use", usage(20, 5)),
  ]);
});
