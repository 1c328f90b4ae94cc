/**
 * Micro-benchmarks of the proxy's pure hot path, in both directions. Run with
 * `deno bench bench/translate_bench.ts` (add `--filter <name>` for one group or bench).
 *
 * Anthropic clients → an OpenAI backend: request validation and translation (groups
 * "request 1KB", "request 45KB", "request 150KB"), a 2,000-chunk OpenAI stream decoded (with the
 * server's text-delta fast path, and once without it), translated and encoded with encodeEvents
 * (group "stream"), the non-streaming response translator (group "response").
 *
 * OpenAI clients → an Anthropic backend: the ~145 KB chat-completions equivalent of the 150 KB
 * request, validated and translated back (group "openai request 150KB"), a 2,000-text-delta
 * Anthropic stream decoded, translated and encoded with encodeOpenAIItems (group
 * "anthropic stream"), the non-streaming response translator (group "anthropic response").
 * @module
 */
import {
  commonMessagesRequest,
  MessagesRequest,
  type StreamEvent,
} from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import { loadConfig } from "../lib/config.ts";
import { resolveRoute } from "../lib/model_map.ts";
import { ChatCompletionsRequest } from "../lib/openai/request_schema.ts";
import { ChatCompletion, ChatCompletionChunk } from "../lib/openai/schema.ts";
import { encodeEvents } from "../lib/sse_encoder.ts";
import {
  type DecodedEvent,
  SseDecoder,
  SseDecoderStream,
  type VaryingPath,
} from "../lib/sse_decoder.ts";
import type { Translator } from "../lib/stream_response.ts";
import { estimateTokens } from "../lib/tokens.ts";
import { anthropicRequestToOpenAI } from "../lib/translate/anthropic_request_to_openai.ts";
import { anthropicResponseToOpenAI } from "../lib/translate/anthropic_response_to_openai.ts";
import {
  AnthropicStreamTranslator,
  AnthropicToOpenAIStream,
  encodeOpenAIItems,
  type OpenAIStreamItem,
  VARYING_FIELDS as ANTHROPIC_VARYING_FIELDS,
} from "../lib/translate/anthropic_stream_to_openai.ts";
import { openAIRequestToAnthropic } from "../lib/translate/openai_request_to_anthropic.ts";
import { openAIResponseToAnthropic } from "../lib/translate/openai_response_to_anthropic.ts";
import {
  OpenAIToAnthropicStream,
  StreamTranslator,
  VARYING_FIELDS,
} from "../lib/translate/openai_stream_to_anthropic.ts";
import {
  anthropicMessage,
  anthropicSseText,
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

/** Network-sized reads (16 KiB), as the proxy receives them from a fast backend. */
function reads(text: string): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 16_384) pieces.push(bytes.subarray(at, at + 16_384));
  return pieces;
}

async function drain<T>(stream: ReadableStream<T>, each: (item: T) => void): Promise<void> {
  for await (const item of stream) each(item);
}

/** Concatenates chunks (for checks made once, outside the measured functions). */
function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The server's loop (lib/stream_response.ts translatedBody) without the I/O: decode each read,
 * translate its events, encode what they produced as one batch. Returns the bytes written.
 */
function perRead<T>(
  pieces: Uint8Array[],
  decoder: SseDecoder,
  translator: Translator<T>,
  encode: (batch: T[]) => Uint8Array,
  out?: Uint8Array[],
): number {
  const pending: T[] = [];
  let terminated = false;
  const sink = {
    enqueue: (item: T) => void pending.push(item),
    terminate: () => (terminated = true),
  };
  let bytes = 0;
  const write = () => {
    if (!pending.length) return;
    const chunk = encode(pending.splice(0));
    bytes += chunk.length;
    out?.push(chunk);
  };
  const feed = (events: DecodedEvent[]) => {
    for (const event of events) {
      if (terminated) return;
      translator.transform(event, sink);
    }
  };
  translator.start(sink);
  for (const piece of pieces) {
    feed(decoder.feed(piece));
    write();
    if (terminated) return bytes;
  }
  feed(decoder.end());
  if (!terminated) translator.flush(sink);
  write();
  return bytes;
}

/** One stream direction: its SSE reads and how the server decodes, translates and encodes it. */
interface StreamSpec<T> {
  /** Bench group and name prefix, e.g. "stream" and "stream 2000 chunks". */
  group: string;
  label: string;
  pieces: Uint8Array[];
  varying: readonly VaryingPath[];
  translator: () => Translator<T>;
  /** The same translator as a TransformStream. */
  transform: () => TransformStream<DecodedEvent, T>;
  encode: (batch: T[]) => Uint8Array;
  encodeName: string;
  /** Why the encoded text is not the whole answer, or undefined. */
  incomplete: (text: string) => string | undefined;
}

/**
 * Registers one direction's benches, after checking once that the fast path and per-read
 * batches give the same bytes as JSON.parse on every event, and that the answer is all there.
 */
async function streamBenches<T>(spec: StreamSpec<T>): Promise<void> {
  const { group, label, pieces, varying } = spec;
  const perEvent = async (fast: boolean, out?: Uint8Array[]) => {
    let bytes = 0;
    await drain(
      ReadableStream.from(pieces)
        .pipeThrough(new SseDecoderStream(fast ? { varying } : {}))
        .pipeThrough(spec.transform()),
      (item) => {
        const chunk = spec.encode([item]);
        bytes += chunk.length;
        out?.push(chunk);
      },
    );
    return bytes;
  };
  const fast: Uint8Array[] = [];
  const slow: Uint8Array[] = [];
  const batched: Uint8Array[] = [];
  await perEvent(true, fast);
  await perEvent(false, slow);
  perRead(pieces, new SseDecoder({ varying }), spec.translator(), spec.encode, batched);
  const decoder = new TextDecoder();
  const text = decoder.decode(concat(fast));
  const problem = spec.incomplete(text) ??
    (text !== decoder.decode(concat(slow)) ? "the fast path changed the output" : undefined) ??
    (text !== decoder.decode(concat(batched)) ? "per-read batches changed the output" : undefined);
  if (problem) throw new Error(`${group}: ${problem}`);

  Deno.bench({
    name: `${label}: decode (fast path)+translate+${spec.encodeName} per event`,
    group,
    baseline: true,
    async fn() {
      if ((await perEvent(true)) === 0) throw new Error("empty stream");
    },
  });
  Deno.bench({
    name: `${label}: decode (fast path)+translate+${spec.encodeName} per 16 KiB read (sync)`,
    group,
    fn() {
      const bytes = perRead(pieces, new SseDecoder({ varying }), spec.translator(), spec.encode);
      if (bytes === 0) throw new Error("empty stream");
    },
  });
  Deno.bench({
    name: `${label}: decode only (fast path)`,
    group,
    async fn() {
      await drain(
        ReadableStream.from(pieces).pipeThrough(new SseDecoderStream({ varying })),
        () => {},
      );
    },
  });
  Deno.bench({
    name: `${label}: decode only (no fast path: JSON.parse every event)`,
    group,
    async fn() {
      await drain(ReadableStream.from(pieces).pipeThrough(new SseDecoderStream()), () => {});
    },
  });
  Deno.bench({
    name: `${label}: decode (fast path)+translate`,
    group,
    async fn() {
      await drain(
        ReadableStream.from(pieces)
          .pipeThrough(new SseDecoderStream({ varying }))
          .pipeThrough(spec.transform()),
        () => {},
      );
    },
  });
}

const streamOptions = {
  id: "msg_bench",
  model: "claude-sonnet-4-5",
  thinking: true,
  toolNames: new Map<string, string>(),
  inputTokens: 11_000,
  backend: "http://127.0.0.1:9/v1",
};

await streamBenches<StreamEvent>({
  group: "stream",
  label: `stream ${CHUNKS} chunks`,
  pieces: reads(openAISseText(CHUNKS)),
  varying: VARYING_FIELDS,
  translator: () => new StreamTranslator(streamOptions),
  transform: () => new OpenAIToAnthropicStream(streamOptions),
  encode: encodeEvents,
  encodeName: "encodeEvents",
  incomplete(text) {
    const deltas = text.match(/"type":"text_delta"/g)?.length ?? 0;
    const stopped = text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    return deltas === CHUNKS && stopped
      ? undefined
      : `${deltas} text deltas, expected ${CHUNKS} and a message_stop`;
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
  name: `stream ${CHUNKS} chunks: encodeEvents only (one text delta per call)`,
  group: "stream",
  fn() {
    for (let i = 0; i < CHUNKS; i++) encodeEvents([sampleEvent]);
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

// ==== OpenAI clients → an Anthropic backend =====================================================

// ---- Request: the chat-completions body the 150 KB Anthropic request becomes --------------------

// Built as bench/load.ts's directBody(): exactly what the proxy would send an OpenAI backend.
const openAIText = JSON.stringify(
  anthropicRequestToOpenAI(
    validate(MessagesRequest, claudeCodeRequest({ targetBytes: 150_000 })),
    options,
  ).value,
);
// As lib/routes/chat_completions.ts builds them, for a backend model given by name.
const openAIRequestOptions = {
  model: "claude-sonnet-4-5",
  maxTokensCap: config.config.maxTokensCap,
};
{
  const openAIParsed = JSON.parse(openAIText);
  const openAIBody = validate(ChatCompletionsRequest, openAIParsed);
  const toAnthropic = openAIRequestToAnthropic(openAIBody, openAIRequestOptions);
  const group = "openai request 150KB";
  const size = `openai 150KB (${Math.round(openAIText.length / 1000)} KB)`;
  Deno.bench({
    name: `${size}: parse+validate+openAIRequestToAnthropic+stringify`,
    group,
    baseline: true,
    fn() {
      const value = validate(ChatCompletionsRequest, JSON.parse(openAIText));
      JSON.stringify(openAIRequestToAnthropic(value, openAIRequestOptions).value);
    },
  });
  Deno.bench({ name: `${size}: JSON.parse`, group, fn: () => void JSON.parse(openAIText) });
  Deno.bench({
    name: `${size}: validate (zod ChatCompletionsRequest)`,
    group,
    fn: () => void validate(ChatCompletionsRequest, openAIParsed),
  });
  Deno.bench({
    name: `${size}: openAIRequestToAnthropic`,
    group,
    fn: () => void openAIRequestToAnthropic(openAIBody, openAIRequestOptions),
  });
  Deno.bench({
    name: `${size}: JSON.stringify (upstream body)`,
    group,
    fn: () => void JSON.stringify(toAnthropic.value),
  });
}

// ---- Stream translation: 2,000 Anthropic text deltas --------------------------------------------

// As lib/routes/chat_completions.ts builds them (stream_options.include_usage asked for).
const openAIStreamOptions = {
  id: "chatcmpl-bench",
  model: "gpt-test",
  created: 1767225600,
  includeUsage: true,
  backend: "http://127.0.0.1:9",
};

await streamBenches<OpenAIStreamItem>({
  group: "anthropic stream",
  label: `anthropic stream ${CHUNKS} deltas`,
  pieces: reads(anthropicSseText(CHUNKS)),
  varying: ANTHROPIC_VARYING_FIELDS,
  translator: () => new AnthropicStreamTranslator(openAIStreamOptions),
  transform: () => new AnthropicToOpenAIStream(openAIStreamOptions),
  encode: encodeOpenAIItems,
  encodeName: "encodeOpenAIItems",
  incomplete(text) {
    const deltas = text.match(/"delta":\{"content":"[^"]/g)?.length ?? 0;
    return deltas === CHUNKS && text.endsWith("data: [DONE]\n\n")
      ? undefined
      : `${deltas} content deltas, expected ${CHUNKS} and [DONE]`;
  },
});

// ---- Non-streaming response --------------------------------------------------------------------

const messageText = JSON.stringify(anthropicMessage());
const message = JSON.parse(messageText);
// As lib/routes/chat_completions.ts passes them (no json_schema tool).
const openAIResponseOptions = { id: "chatcmpl-bench", model: "gpt-test", created: 1767225600 };
Deno.bench({
  name: "anthropicResponseToOpenAI",
  group: "anthropic response",
  baseline: true,
  fn: () => void anthropicResponseToOpenAI(message, openAIResponseOptions),
});
Deno.bench({
  name: "parse+anthropicResponseToOpenAI+stringify",
  group: "anthropic response",
  fn() {
    // The route's check (a JSON object with a content array), then the translation.
    const json = JSON.parse(messageText);
    if (!Array.isArray(json?.content)) throw new Error("bad message");
    JSON.stringify(anthropicResponseToOpenAI(json, openAIResponseOptions));
  },
});
