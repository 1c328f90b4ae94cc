/**
 * Anthropic stream events (recorded fixtures) → OpenAI chat.completion.chunks.
 */
import assert from "node:assert/strict";
import { SseDecoderStream } from "../lib/sse_decoder.ts";
import {
  AnthropicToOpenAIStream,
  encodeOpenAIItems,
  type OpenAIStreamItem,
  type OpenAIStreamOptions,
  VARYING_FIELDS,
} from "../lib/translate/anthropic_stream_to_openai.ts";
import { byteStream, collect, fixtureText } from "./_helpers.ts";

type Chunk = {
  id: string;
  object: string;
  model: string;
  created: number;
  choices: {
    index: number;
    delta: Record<string, unknown> & {
      tool_calls?: { index: number; id?: string; function: { name?: string; arguments: string } }[];
    };
    finish_reason: string | null;
  }[];
  usage?: Record<string, unknown> | null;
  error?: { message: string; type: string; code: string | null; param: null };
};

function translate(
  name: string,
  overrides: Partial<OpenAIStreamOptions> = {},
  splitAt: number[] = [],
): Promise<OpenAIStreamItem[]> {
  return collect(
    byteStream(fixtureText(`anthropic/${name}`), splitAt)
      .pipeThrough(new SseDecoderStream({ varying: VARYING_FIELDS }))
      .pipeThrough(
        new AnthropicToOpenAIStream({
          id: "chatcmpl-test",
          model: "claude-sonnet-4-5",
          created: 1,
          includeUsage: false,
          backend: "https://api.anthropic.com",
          ...overrides,
        }),
      ),
  );
}

const chunks = (items: OpenAIStreamItem[]) => items.filter((i) => i !== "[DONE]") as Chunk[];
const content = (items: OpenAIStreamItem[]) =>
  chunks(items).map((c) => c.choices?.[0]?.delta.content ?? "").join("");

Deno.test("text stream: role first, content deltas, finish stop, [DONE]; ping dropped", async () => {
  const items = await translate("text.sse");
  assert.equal(items.at(-1), "[DONE]");
  const out = chunks(items);
  assert.deepEqual(out[0].choices[0].delta, { role: "assistant", content: "" });
  assert.equal(content(items), "Hello there!");
  for (const chunk of out) {
    assert.equal(chunk.id, "chatcmpl-test");
    assert.equal(chunk.object, "chat.completion.chunk");
    assert.equal(chunk.model, "claude-sonnet-4-5");
    assert.equal(chunk.created, 1);
    assert.equal("usage" in chunk, false);
  }
  const last = out.at(-1)!;
  assert.deepEqual(last.choices[0].delta, {});
  assert.equal(last.choices[0].finish_reason, "stop");
  assert.equal(out.filter((c) => c.choices[0].finish_reason !== null).length, 1);
});

Deno.test("include_usage: usage chunk after finish, counts cache reads into prompt_tokens", async () => {
  const items = await translate("text.sse", { includeUsage: true });
  const out = chunks(items);
  const usage = out.at(-1)!;
  assert.deepEqual(usage.choices, []);
  assert.deepEqual(usage.usage, {
    prompt_tokens: 100,
    completion_tokens: 5,
    total_tokens: 105,
    prompt_tokens_details: { cached_tokens: 90 },
  });
  assert.equal(out.at(-2)!.choices[0].finish_reason, "stop");
  for (const chunk of out.slice(0, -1)) assert.equal(chunk.usage, null);
  assert.equal(items.at(-1), "[DONE]");
});

Deno.test("parallel tool use: tool_calls indices 0 and 1, id/name once, argument fragments", async () => {
  const items = await translate("parallel_tool_use.sse");
  const out = chunks(items);
  assert.equal(content(items), "I'll check both cities.");
  const calls = out.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
  const byIndex = new Map<number, { id?: string; name?: string; args: string }>();
  for (const call of calls) {
    const entry = byIndex.get(call.index) ?? { args: "" };
    if (call.id) {
      assert.equal(entry.id, undefined, "id sent once");
      entry.id = call.id;
      entry.name = call.function.name;
    }
    entry.args += call.function.arguments;
    byIndex.set(call.index, entry);
  }
  assert.deepEqual([...byIndex.keys()], [0, 1]);
  assert.equal(byIndex.get(0)!.id, "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
  assert.deepEqual(JSON.parse(byIndex.get(0)!.args), { city: "Paris" });
  assert.deepEqual(JSON.parse(byIndex.get(1)!.args), { city: "Tokyo" });
  assert.equal(byIndex.get(1)!.name, "get_weather");
  // Empty partial_json fragments are skipped.
  assert.ok(calls.every((call) => call.id || call.function.arguments !== ""));
  assert.equal(out.at(-1)!.choices[0].finish_reason, "tool_calls");
});

Deno.test("thinking → reasoning_content; the signature never leaks", async () => {
  const items = await translate("thinking.sse");
  const reasoning = chunks(items).map((c) => c.choices[0]?.delta.reasoning_content ?? "").join("");
  assert.equal(reasoning, "The user asks for 27 * 453. 27 * 453 = 12231.");
  assert.equal(content(items), "27 * 453 = 12,231");
  assert.ok(!JSON.stringify(items).includes("EqQBCgIYAhIM"));
});

Deno.test("error event mid-stream → OpenAI error object, nothing after it", async () => {
  const items = await translate("error.sse", { includeUsage: true });
  const last = items.at(-1) as Chunk;
  assert.equal(content(items.slice(0, -1)), "Partial");
  assert.equal(last.error?.type, "server_error");
  assert.equal(last.error?.code, "server_is_overloaded");
  assert.match(last.error!.message, /Overloaded/);
  assert.ok(!items.includes("[DONE]"));
});

Deno.test("refusal → finish_reason content_filter with no content", async () => {
  const items = await translate("refusal.sse");
  const out = chunks(items);
  assert.equal(content(items), "");
  assert.equal(out.at(-1)!.choices[0].finish_reason, "content_filter");
});

Deno.test("split at every byte boundary class: same output", async () => {
  const whole = await translate("parallel_tool_use.sse");
  const text = fixtureText("anthropic/parallel_tool_use.sse");
  const cuts = Array.from({ length: Math.floor(text.length / 7) }, (_, i) => i * 7);
  assert.deepEqual(await translate("parallel_tool_use.sse", {}, cuts), whole);
});

Deno.test("a stream cut before message_stop ends with an error object", async () => {
  const text = fixtureText("anthropic/text.sse");
  const cut = text.slice(0, text.indexOf("event: message_delta"));
  const items = await collect(
    byteStream(cut).pipeThrough(new SseDecoderStream({ varying: VARYING_FIELDS })).pipeThrough(
      new AnthropicToOpenAIStream({
        id: "x",
        model: "m",
        created: 1,
        includeUsage: false,
        backend: "b",
      }),
    ),
  );
  assert.match((items.at(-1) as Chunk).error!.message, /before message_stop/);
});

Deno.test("json_schema tool input is streamed back as content, finish stop", async () => {
  const sse = [
    `event: message_start\ndata: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":5,"output_tokens":1}}}`,
    `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"json_response","input":{}}}`,
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"value\\": [1,"}}`,
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":" 2]}"}}`,
    `event: content_block_stop\ndata: {"type":"content_block_stop","index":0}`,
    `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}`,
    `event: message_stop\ndata: {"type":"message_stop"}`,
  ].join("\n\n") + "\n\n";
  const items = await collect(
    byteStream(sse).pipeThrough(new SseDecoderStream({ varying: VARYING_FIELDS })).pipeThrough(
      new AnthropicToOpenAIStream({
        id: "x",
        model: "m",
        created: 1,
        includeUsage: false,
        backend: "b",
        jsonTool: { name: "json_response", wrapped: true },
      }),
    ),
  );
  assert.equal(content(items), "[1,2]");
  assert.equal(chunks(items).at(-1)!.choices[0].finish_reason, "stop");
  assert.ok(!JSON.stringify(items).includes("tool_calls"));
});

Deno.test("encodeOpenAIItems writes data lines and [DONE]", () => {
  const text = new TextDecoder().decode(encodeOpenAIItems([{ a: 1 }, "[DONE]"]));
  assert.equal(text, 'data: {"a":1}\n\ndata: [DONE]\n\n');
});
