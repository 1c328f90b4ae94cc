/**
 * Micro-benchmarks of the proxy's pure hot path: request validation and translation, the stream
 * translator, the non-streaming response translator. Run with `deno bench bench/translate_bench.ts`.
 * @module
 */
import { commonMessagesRequest, MessagesRequest } from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import { loadConfig } from "../lib/config.ts";
import { resolveRoute } from "../lib/model_map.ts";
import { ChatCompletion, ChatCompletionChunk } from "../lib/openai/schema.ts";
import { encodeEvent } from "../lib/sse_encoder.ts";
import { SseDecoderStream } from "../lib/sse_decoder.ts";
import { estimateTokens } from "../lib/tokens.ts";
import { anthropicRequestToOpenAI } from "../lib/translate/anthropic_request_to_openai.ts";
import { openAIResponseToAnthropic } from "../lib/translate/openai_response_to_anthropic.ts";
import { OpenAIToAnthropicStream } from "../lib/translate/openai_stream_to_anthropic.ts";
import {
  claudeCodeRequest,
  openAICompletion,
  openAISseText,
  openAIStreamChunks,
  smallRequest,
} from "./fixtures.ts";

// The options the proxy uses under `deno task bench` (--model gpt-test, a loopback backend).
const config = loadConfig(["--base-url", "http://127.0.0.1:9/v1", "--model", "gpt-test"], {});
if (config.action !== "serve") throw new Error("unexpected config action");
const route = resolveRoute(config.config, "claude-sonnet-4-5");
const options = { model: route.model, maxTokensCap: config.config.maxTokensCap, ...route.options };

const requests = {
  "1KB": JSON.stringify(smallRequest()),
  "45KB": JSON.stringify(claudeCodeRequest({ targetBytes: 45_000 })),
  "150KB": JSON.stringify(claudeCodeRequest({ targetBytes: 150_000 })),
};

for (const [size, text] of Object.entries(requests)) {
  const parsed = JSON.parse(text);
  const body = validate(MessagesRequest, parsed);
  const translated = anthropicRequestToOpenAI(body, options);
  const group = `request ${size}`;
  Deno.bench({
    name: `${size}: parse+validate+translate+stringify`,
    group,
    baseline: true,
    fn() {
      const value = validate(MessagesRequest, JSON.parse(text));
      const out = anthropicRequestToOpenAI(value, options);
      estimateTokens(out.value);
      JSON.stringify(out.value);
    },
  });
  Deno.bench({
    name: `${size}: parse+common fast path+translate+stringify`,
    group,
    fn() {
      const raw = JSON.parse(text);
      const value = commonMessagesRequest(raw) ?? validate(MessagesRequest, raw);
      const out = anthropicRequestToOpenAI(value, options);
      estimateTokens(out.value);
      JSON.stringify(out.value);
    },
  });
  Deno.bench({
    name: `${size}: validate (common fast path)`,
    group,
    fn: () => void commonMessagesRequest(parsed),
  });
  Deno.bench({ name: `${size}: JSON.parse`, group, fn: () => void JSON.parse(text) });
  Deno.bench({
    name: `${size}: validate (zod)`,
    group,
    fn: () => void validate(MessagesRequest, parsed),
  });
  Deno.bench({
    name: `${size}: anthropicRequestToOpenAI`,
    group,
    fn: () => void anthropicRequestToOpenAI(body, options),
  });
  Deno.bench({
    name: `${size}: estimateTokens`,
    group,
    fn: () => void estimateTokens(translated.value),
  });
  Deno.bench({
    name: `${size}: JSON.stringify (upstream body)`,
    group,
    fn: () => void JSON.stringify(translated.value),
  });
}

// ---- Stream translation: 2,000 text chunks -----------------------------------------------------

const CHUNKS = 2000;
const sse = new TextEncoder().encode(openAISseText(CHUNKS));
// Network-sized reads (16 KiB), as the proxy receives them from a fast backend.
const pieces: Uint8Array[] = [];
for (let at = 0; at < sse.length; at += 16_384) pieces.push(sse.subarray(at, at + 16_384));
const streamOptions = {
  id: "msg_bench",
  model: "claude-sonnet-4-5",
  thinking: true,
  toolNames: new Map<string, string>(),
  inputTokens: 11_000,
  backend: "http://127.0.0.1:9/v1",
};

async function drain<T>(stream: ReadableStream<T>, each: (item: T) => void): Promise<void> {
  for await (const item of stream) each(item);
}

Deno.bench({
  name: `stream ${CHUNKS} chunks: decode+translate+encode`,
  group: "stream",
  baseline: true,
  async fn() {
    let bytes = 0;
    await drain(
      ReadableStream.from(pieces)
        .pipeThrough(new SseDecoderStream())
        .pipeThrough(new OpenAIToAnthropicStream(streamOptions)),
      (event) => (bytes += encodeEvent(event).length),
    );
    if (bytes === 0) throw new Error("empty stream");
  },
});
Deno.bench({
  name: `stream ${CHUNKS} chunks: decode only (SseDecoderStream)`,
  group: "stream",
  async fn() {
    await drain(ReadableStream.from(pieces).pipeThrough(new SseDecoderStream()), () => {});
  },
});
Deno.bench({
  name: `stream ${CHUNKS} chunks: decode+translate`,
  group: "stream",
  async fn() {
    await drain(
      ReadableStream.from(pieces)
        .pipeThrough(new SseDecoderStream())
        .pipeThrough(new OpenAIToAnthropicStream(streamOptions)),
      () => {},
    );
  },
});
const chunkObjects = openAIStreamChunks(CHUNKS);
Deno.bench({
  name: `stream ${CHUNKS} chunks: ChatCompletionChunk.safeParse only`,
  group: "stream",
  fn() {
    for (const chunk of chunkObjects) ChatCompletionChunk.safeParse(chunk);
  },
});
const sampleEvent = {
  type: "content_block_delta",
  index: 0,
  delta: { type: "text_delta", text: " message" },
};
Deno.bench({
  name: `stream ${CHUNKS} chunks: encodeEvent only`,
  group: "stream",
  fn() {
    for (let i = 0; i < CHUNKS; i++) encodeEvent(sampleEvent);
  },
});

// ---- Non-streaming response --------------------------------------------------------------------

const completionText = JSON.stringify(openAICompletion());
const completion = ChatCompletion.parse(JSON.parse(completionText));
const responseOptions = { ...streamOptions, toolNames: new Map<string, string>() };
Deno.bench({
  name: "openAIResponseToAnthropic",
  group: "response",
  baseline: true,
  fn: () => void openAIResponseToAnthropic(completion, responseOptions),
});
Deno.bench({
  name: "parse+ChatCompletion.safeParse+translate+stringify",
  group: "response",
  fn() {
    const data = ChatCompletion.safeParse(JSON.parse(completionText));
    if (!data.success) throw new Error("bad completion");
    JSON.stringify(openAIResponseToAnthropic(data.data, responseOptions));
  },
});
