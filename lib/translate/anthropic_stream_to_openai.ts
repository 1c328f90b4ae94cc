/**
 * Anthropic stream events → OpenAI `chat.completion.chunk`s, as a synchronous translator (for
 * translatedBody) and a TransformStream wrapper.
 *
 * Every chunk carries the same id, created and model. The first carries the role; text deltas
 * become `content`, thinking deltas `reasoning_content`; each tool_use block becomes a tool call
 * whose `index` counts tool calls (not Anthropic's block index), with id and name once and then
 * argument fragments. `message_stop` yields the finish chunk, the usage chunk when
 * `include_usage` was asked for, then `[DONE]`. `ping` and signatures are dropped; an `error`
 * event becomes `{"error":{…}}`, which the OpenAI SDK throws, and ends the stream.
 * @module
 */
import { fromStreamError, ProxyError, readErrorDetail } from "../errors.ts";
import { openAIError } from "../openai/errors.ts";
import type { DecodedEvent, VaryingPath } from "../sse_decoder.ts";
import {
  type AnthropicUsageIn,
  jsonToolContent,
  toFinishReason,
  toOpenAIUsage,
} from "./anthropic_response_to_openai.ts";
import type { EventSink } from "./openai_stream_to_anthropic.ts";

/** One output item: a chunk (or error) object, or the `[DONE]` marker. */
export type OpenAIStreamItem = Record<string, unknown> | "[DONE]";

/** What the stream translation needs from the request side. */
export interface OpenAIStreamOptions {
  id: string;
  /** The model the client asked for. */
  model: string;
  created: number;
  includeUsage: boolean;
  /** Names the backend in error messages. */
  backend: string;
  /** The forced tool carrying a json_schema answer: its input is streamed as content. */
  jsonTool?: { name: string; wrapped: boolean };
}

type Sink = EventSink<OpenAIStreamItem>;

/**
 * The strings that change from event to event in a run of deltas (see SseDecoder): text,
 * thinking and tool-input JSON.
 */
export const VARYING_FIELDS: readonly VaryingPath[] = [
  ["delta", "text"],
  ["delta", "thinking"],
  ["delta", "partial_json"],
];

/** The state machine; one instance per response. */
export class AnthropicStreamTranslator {
  readonly #options: OpenAIStreamOptions;
  /** Anthropic block index → OpenAI tool call index (or "json" for the json_schema tool). */
  readonly #blocks = new Map<number, number | "json">();
  #toolCount = 0;
  #json = "";
  #jsonAnswer = false;
  #started = false;
  #ended = false;
  #stopReason: string | null | undefined;
  #usage: AnthropicUsageIn = {};

  constructor(options: OpenAIStreamOptions) {
    this.#options = options;
  }

  start(_sink: Sink): void {}

  transform(event: DecodedEvent, sink: Sink): void {
    if (this.#ended) return;
    if (event.kind !== "json") return;
    const value = event.value as Record<string, unknown> & { type?: string };
    const type = value?.type ?? event.event;
    switch (type) {
      case "message_start": {
        const message = value.message as { usage?: AnthropicUsageIn } | undefined;
        this.#mergeUsage(message?.usage);
        this.#begin(sink);
        break;
      }
      case "content_block_start":
        this.#begin(sink);
        this.#blockStart(
          value.index as number,
          value.content_block as Record<string, unknown>,
          sink,
        );
        break;
      case "content_block_delta":
        this.#begin(sink);
        this.#blockDelta(value.index as number, value.delta as Record<string, unknown>, sink);
        break;
      case "content_block_stop": {
        const index = value.index as number;
        if (this.#blocks.get(index) === "json") {
          const jsonTool = this.#options.jsonTool!;
          let content = this.#json;
          try {
            content = jsonToolContent(JSON.parse(this.#json || "{}"), jsonTool.wrapped);
          } catch {
            // Incomplete JSON (max_tokens): pass on what arrived.
          }
          this.#json = "";
          this.#jsonAnswer = true;
          sink.enqueue(this.#chunk({ content }));
        }
        break;
      }
      case "message_delta": {
        const delta = value.delta as { stop_reason?: string | null } | undefined;
        if (delta?.stop_reason) this.#stopReason = delta.stop_reason;
        this.#mergeUsage(value.usage as AnthropicUsageIn | undefined);
        break;
      }
      case "message_stop":
        this.#finish(sink);
        break;
      case "error":
        this.#fail(sink, fromStreamError(readErrorDetail(value, ""), this.#options.backend));
        break;
      default:
        // ping and future event types carry nothing for the client.
        break;
    }
  }

  flush(sink: Sink): void {
    if (this.#ended) return;
    this.#fail(
      sink,
      new ProxyError(
        502,
        "api_error",
        `Upstream ${this.#options.backend} ended its stream before message_stop`,
      ),
    );
  }

  #begin(sink: Sink): void {
    if (this.#started) return;
    this.#started = true;
    sink.enqueue(this.#chunk({ role: "assistant", content: "" }));
  }

  #blockStart(index: number, block: Record<string, unknown> | undefined, sink: Sink): void {
    if (block?.type === "text" && typeof block.text === "string" && block.text) {
      sink.enqueue(this.#chunk({ content: block.text }));
    } else if (block?.type === "thinking" && typeof block.thinking === "string" && block.thinking) {
      sink.enqueue(this.#chunk({ reasoning_content: block.thinking }));
    } else if (block?.type === "tool_use") {
      const jsonTool = this.#options.jsonTool;
      if (jsonTool && block.name === jsonTool.name) {
        this.#blocks.set(index, "json");
        return;
      }
      const k = this.#toolCount++;
      this.#blocks.set(index, k);
      sink.enqueue(this.#chunk({
        tool_calls: [{
          index: k,
          id: block.id,
          type: "function",
          function: { name: block.name, arguments: "" },
        }],
      }));
    }
  }

  #blockDelta(index: number, delta: Record<string, unknown> | undefined, sink: Sink): void {
    switch (delta?.type) {
      case "text_delta":
        if (delta.text) sink.enqueue(this.#chunk({ content: delta.text }));
        break;
      case "thinking_delta":
        if (delta.thinking) sink.enqueue(this.#chunk({ reasoning_content: delta.thinking }));
        break;
      case "input_json_delta": {
        const fragment = delta.partial_json;
        if (typeof fragment !== "string" || fragment === "") break;
        const target = this.#blocks.get(index);
        if (target === "json") this.#json += fragment;
        else if (target !== undefined) {
          sink.enqueue(
            this.#chunk({ tool_calls: [{ index: target, function: { arguments: fragment } }] }),
          );
        }
        break;
      }
      default:
        // signature_delta, citations_delta: nothing the client can use.
        break;
    }
  }

  #mergeUsage(usage: AnthropicUsageIn | undefined): void {
    if (!usage) return;
    for (const [key, value] of Object.entries(usage)) {
      if (value !== null && value !== undefined) {
        (this.#usage as Record<string, unknown>)[key] = value;
      }
    }
  }

  #chunk(delta: Record<string, unknown>, finishReason: string | null = null) {
    const chunk: Record<string, unknown> = {
      id: this.#options.id,
      object: "chat.completion.chunk",
      created: this.#options.created,
      model: this.#options.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.#options.includeUsage) chunk.usage = null;
    return chunk;
  }

  #finish(sink: Sink): void {
    this.#begin(sink);
    const finish = this.#jsonAnswer && this.#toolCount === 0
      ? "stop"
      : toFinishReason(this.#stopReason);
    sink.enqueue(this.#chunk({}, finish));
    if (this.#options.includeUsage) {
      sink.enqueue({
        id: this.#options.id,
        object: "chat.completion.chunk",
        created: this.#options.created,
        model: this.#options.model,
        choices: [],
        usage: toOpenAIUsage(this.#usage),
      });
    }
    sink.enqueue("[DONE]");
    this.#ended = true;
    sink.terminate();
  }

  #fail(sink: Sink, error: ProxyError): void {
    sink.enqueue(openAIError(error).body as unknown as Record<string, unknown>);
    this.#ended = true;
    sink.terminate();
  }

  /** Usage seen so far (for the log line). */
  get usage(): AnthropicUsageIn {
    return this.#usage;
  }
}

const encoder = new TextEncoder();

/** Encodes items as OpenAI SSE: `data: <json>` each, `data: [DONE]` for the marker. */
export function encodeOpenAIItems(items: OpenAIStreamItem[]): Uint8Array<ArrayBuffer> {
  let text = "";
  for (const item of items) {
    text += `data: ${item === "[DONE]" ? item : JSON.stringify(item)}\n\n`;
  }
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

/** TransformStream of decoded Anthropic SSE events → OpenAI stream items. */
export class AnthropicToOpenAIStream extends TransformStream<DecodedEvent, OpenAIStreamItem> {
  constructor(options: OpenAIStreamOptions) {
    const translator = new AnthropicStreamTranslator(options);
    let done = false;
    super({
      transform: (event, controller) => {
        if (done) return;
        translator.transform(event, {
          enqueue: (item) => controller.enqueue(item),
          terminate: () => (done = true),
        });
      },
      flush: (controller) => {
        if (done) return;
        translator.flush({
          enqueue: (item) => controller.enqueue(item),
          terminate: () => (done = true),
        });
      },
    });
  }
}
