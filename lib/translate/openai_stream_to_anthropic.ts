/**
 * OpenAI chat-completion chunks → Anthropic stream events, as a TransformStream state machine.
 *
 * Guarantees the grammar the Anthropic SDK's accumulator relies on: `message_start`, blocks with
 * indices 0,1,2… in order and never two open at once, `message_delta` with the real usage (which
 * may arrive after the finish chunk, or never), `message_stop`. Text and thinking are forwarded
 * as they arrive; an answer that starts with inline `<think>…</think>` is split into thinking and
 * text (think_tags.ts). Tool calls are collected until the model moves on or finishes, then emitted
 * whole: backends split, interleave, repeat indices or omit ids, and arguments must be checked
 * (and repaired) before Claude Code runs anything.
 * @module
 */
import type { ContentBlockStart, ContentDelta, StreamEvent, Usage } from "../anthropic/schema.ts";
import { fromStreamError, ProxyError, readErrorDetail } from "../errors.ts";
import { ChatCompletionChunk, type OpenAIUsage, type ToolCall } from "../openai/schema.ts";
import type { DecodedEvent, VaryingPath } from "../sse_decoder.ts";
import { type MessagePart, messageParts } from "./message_parts.ts";
import { proxySignature } from "./signature.ts";
import { toStopReason } from "./stop_reason.ts";
import { ThinkTagSplitter } from "./think_tags.ts";
import { finalizeArguments } from "./tool_arguments.ts";
import { clientToolId, repeatedToolId } from "./tool_names.ts";
import { toAnthropicUsage } from "./usage.ts";
import {
  CitationCollector,
  NO_SEARCH_NOTE,
  webSearchBlocks,
  type WebSearchRequest,
  withSearchUsage,
} from "./web_search.ts";

/** What the stream translation needs from the request side. */
export interface StreamOptions {
  id: string;
  /** The model name the client asked for. */
  model: string;
  /** Emit thinking blocks (only when the client asked for thinking). */
  thinking: boolean;
  /** upstream tool name → client tool name. */
  toolNames: Map<string, string>;
  /** Estimated input tokens: reported in message_start and used when usage never arrives. */
  inputTokens: number;
  /** Names the backend in error messages. */
  backend: string;
  /** Receives notes worth a log line (dropped nameless tool calls…). */
  onWarning?: (message: string) => void;
  /**
   * The request carried a web search tool (see web_search.ts). With a backend search, text is
   * held until the end so the search blocks, built from citations that may arrive last, come
   * before the answer as in Anthropic's streams.
   */
  webSearch?: WebSearchRequest;
}

interface PendingTool {
  id: string | undefined;
  index: number | undefined;
  name: string | undefined;
  /** String fragments, or the whole arguments when a backend sent an object. */
  args: string[] | object;
  /** Gemini 3 thought signature. */
  signature?: string;
}

/** Where the translator writes: a TransformStream controller, or a plain collector. */
export interface EventSink<T> {
  enqueue(event: T): void;
  /** Nothing more will be written. */
  terminate(): void;
}

type Controller = EventSink<StreamEvent>;

function argumentsComplete(tool: PendingTool): boolean {
  if (!Array.isArray(tool.args)) return true;
  try {
    JSON.parse(tool.args.join(""));
    return true;
  } catch {
    return false;
  }
}

const nullish = (value: unknown) => value === undefined || value === null;
const stringish = (value: unknown) => nullish(value) || typeof value === "string";
// Delta fields whose shape the fast path checks; any other field goes through zod.
const PLAIN_DELTA_FIELDS = new Set([
  "role",
  "content",
  "reasoning_content",
  "reasoning",
  "refusal",
]);

/**
 * The fast path for the chunk nearly every stream consists of — one choice whose delta holds
 * only strings (`{choices:[{index:0,delta:{content:"…"}}]}`, plus id/model/finish_reason): checks
 * exactly the fields ChatCompletionChunk would and returns the value itself, with no copy.
 * Anything else (tool calls, usage, content arrays, more choices) returns undefined for zod.
 */
function commonChunk(value: unknown): ChatCompletionChunk | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const chunk = value as Record<string, unknown>;
  if (!stringish(chunk.id) || !stringish(chunk.model)) return undefined;
  if (!nullish(chunk.usage) || !nullish(chunk.x_groq)) return undefined;
  const choices = chunk.choices;
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice = choices[0];
  if (typeof choice !== "object" || choice === null || Array.isArray(choice)) return undefined;
  const { index, delta, finish_reason: finish, stop_reason: stop } = choice as Record<
    string,
    unknown
  >;
  if (!(nullish(index) || typeof index === "number") || !stringish(finish) || !nullish(stop)) {
    return undefined;
  }
  if (!nullish(delta)) {
    if (typeof delta !== "object" || Array.isArray(delta)) return undefined;
    for (const key in delta) {
      if (!Object.hasOwn(delta, key)) continue;
      if (!PLAIN_DELTA_FIELDS.has(key)) return undefined;
      if (key !== "role" && !stringish((delta as Record<string, unknown>)[key])) return undefined;
    }
  }
  return chunk as ChatCompletionChunk;
}

/**
 * The strings that change from chunk to chunk in a run of similar chunks (see SseDecoder): the
 * text, reasoning and tool-argument deltas, and OpenAI's random `obfuscation` padding.
 */
export const VARYING_FIELDS: readonly VaryingPath[] = [
  ["choices", 0, "delta", "content"],
  ["choices", 0, "delta", "reasoning_content"],
  ["choices", 0, "delta", "reasoning"],
  ["choices", 0, "delta", "tool_calls", 0, "function", "arguments"],
  ["obfuscation"],
];

/** The state machine; one instance per response. Synchronous: events in, events out. */
export class StreamTranslator {
  readonly #options: StreamOptions;
  #nextIndex = 0;
  #open: { kind: "text" | "thinking"; index: number } | undefined;
  #tools: PendingTool[] = [];
  /** Client ids already given out in this response (ids must not repeat within it). */
  readonly #usedIds = new Set<string>();
  #toolsEmitted = 0;
  #emittedTool = false;
  #finishReason: string | undefined;
  #matchedStop: string | number | undefined;
  #usage: OpenAIUsage | undefined;
  #outputChars = 0;
  #ended = false;
  /** A thought signature that arrived in a metadata-only fragment before its call. */
  #pendingSignature: string | undefined;
  readonly #thinkTags = new ThinkTagSplitter();
  readonly #citations = new CitationCollector();
  /** Backend search on: answer text waits for the search blocks. */
  readonly #searching: boolean;
  #held: string[] = [];
  /** The no-search note is still to be sent (search was the only tool, and there is none). */
  #noteDue: boolean;

  constructor(options: StreamOptions) {
    this.#options = options;
    const search = options.webSearch;
    this.#searching = search !== undefined && search.mode !== "none";
    this.#noteDue = search?.mode === "none" && search.only;
  }

  start(controller: Controller): void {
    controller.enqueue({
      type: "message_start",
      message: {
        id: this.#options.id,
        type: "message",
        role: "assistant",
        model: this.#options.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: this.#options.inputTokens,
          output_tokens: 1,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
    });
  }

  transform(event: DecodedEvent, controller: Controller): void {
    if (this.#ended) return;
    try {
      this.#event(event, controller);
    } catch (error) {
      this.#fail(controller, error);
    }
  }

  #event(event: DecodedEvent, controller: Controller): void {
    if (event.kind === "done") return this.#finish(controller);
    if (event.kind === "invalid") {
      return this.#fail(
        controller,
        new ProxyError(
          502,
          "api_error",
          `Upstream ${this.#options.backend} sent a malformed stream chunk: ${event.text}`,
        ),
      );
    }
    const value = event.value as Record<string, unknown> | null;
    // An error object, or an `event: error` frame whatever its data (the OpenAI SDK throws on both).
    if ((value && typeof value === "object" && value.error != null) || event.event === "error") {
      const detail = readErrorDetail(value, JSON.stringify(value) ?? "");
      return this.#fail(controller, fromStreamError(detail, this.#options.backend));
    }
    const common = commonChunk(value);
    if (common) return this.#chunk(common, controller);
    const parsed = ChatCompletionChunk.safeParse(value);
    if (!parsed.success) {
      return this.#fail(
        controller,
        new ProxyError(
          502,
          "api_error",
          `Upstream ${this.#options.backend} sent a chunk that is not a chat completion chunk: ${
            JSON.stringify(value).slice(0, 200)
          }`,
        ),
      );
    }
    this.#chunk(parsed.data, controller);
  }

  flush(controller: Controller): void {
    if (this.#ended) return;
    if (this.#finishReason !== undefined) return this.#finish(controller);
    this.#fail(
      controller,
      new ProxyError(
        502,
        "api_error",
        `Upstream ${this.#options.backend} ended the stream before finishing the answer`,
      ),
    );
  }

  #chunk(chunk: ChatCompletionChunk, controller: Controller): void {
    const usage = chunk.usage ?? chunk.x_groq?.usage;
    if (usage) this.#usage = usage;
    const choices = chunk.choices ?? [];
    // Azure's first chunk and OpenAI's usage chunk have no choices.
    const choice = choices.find((item) => (item.index ?? 0) === 0);
    if (!choice) return;
    if (choice.finish_reason === "error") {
      const detail = readErrorDetail(chunk, 'the backend reported finish_reason "error"');
      return this.#fail(controller, fromStreamError(detail, this.#options.backend));
    }
    const delta = choice.delta;
    if (delta && this.#searching) this.#citations.add(delta.annotations);
    if (delta) {
      for (const part of messageParts(delta)) {
        if (part.kind === "thinking") this.#part(part, controller);
        else for (const split of this.#thinkTags.push(part.text)) this.#part(split, controller);
      }
      const calls = delta.tool_calls ?? [];
      if (calls.length > 0 || delta.function_call) {
        // A tool call ends the start of the answer: release held text so the order is kept.
        for (const part of this.#thinkTags.flush()) this.#part(part, controller);
      }
      for (const fragment of calls) this.#toolFragment(fragment);
      if (delta.function_call) this.#toolFragment({ index: 0, function: delta.function_call });
    }
    if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    if (choice.stop_reason != null) this.#matchedStop = choice.stop_reason;
  }

  #part(part: MessagePart, controller: Controller): void {
    this.#outputChars += part.text.length;
    if (part.kind === "thinking" && !this.#options.thinking) return;
    if (part.kind === "text" && this.#searching) {
      this.#held.push(part.text);
      return;
    }
    if (part.kind === "text") this.#note(controller);
    // The model moved on from its tool calls: they are complete.
    this.#emitTools(controller);
    if (this.#open?.kind !== part.kind) {
      this.#closeOpen(controller);
      const block: ContentBlockStart = part.kind === "text"
        ? { type: "text", text: "" }
        : { type: "thinking", thinking: "", signature: "" };
      this.#open = { kind: part.kind, index: this.#startBlock(block, controller) };
    }
    const delta: ContentDelta = part.kind === "text"
      ? { type: "text_delta", text: part.text }
      : { type: "thinking_delta", thinking: part.text };
    controller.enqueue({ type: "content_block_delta", index: this.#open.index, delta });
  }

  /**
   * Finds the call a fragment belongs to: by id (a new id may still name the call whose
   * arguments came first, at the same index); without an id, by index; without either, the
   * latest call. A fragment naming a function starts a new call when its match has a different
   * name, or (without an id) already holds complete arguments: Ollama sends every call with
   * index 0, Gemini whole calls with neither index nor id.
   */
  #toolFragment(fragment: ToolCall): void {
    const id = fragment.id || undefined;
    const index = fragment.index ?? undefined;
    const name = fragment.function?.name || undefined;
    const args = fragment.function?.arguments;
    const signature = fragment.extra_content?.google?.thought_signature || undefined;
    const open = this.#tools.slice(this.#toolsEmitted);
    let tool = id !== undefined
      ? open.findLast((candidate) => candidate.id === id) ??
        // The header of a call whose arguments arrived first, without id or name.
        open.findLast((candidate) =>
          candidate.index === index && candidate.id === undefined && candidate.name === undefined
        )
      : index !== undefined
      ? open.findLast((candidate) => candidate.index === index)
      : open.at(-1);
    if (tool && name !== undefined && tool.name !== undefined) {
      // Complete arguments cannot continue: a named fragment then starts another call, even
      // under the same id (Kimi and some gateways repeat ids).
      if (tool.name !== name || argumentsComplete(tool)) tool = undefined;
    }
    if (!tool) {
      const hasArgs = args != null && args !== "";
      if (name === undefined && !hasArgs) {
        // Metadata only (Gemini thought signatures): it belongs to the latest call, or the next.
        const latest = open.at(-1);
        if (signature && latest) latest.signature ??= signature;
        else if (signature) this.#pendingSignature = signature;
        return;
      }
      if (name === undefined && this.#toolsEmitted > 0) {
        throw new ProxyError(
          502,
          "api_error",
          `Upstream ${this.#options.backend} sent tool-call arguments after the call had ended`,
        );
      }
      tool = { id, index, name: undefined, args: [], signature: this.#pendingSignature };
      this.#pendingSignature = undefined;
      this.#tools.push(tool);
    }
    if (signature) tool.signature ??= signature;
    if (name !== undefined) tool.name ??= name;
    tool.id ??= id;
    if (typeof args === "string") {
      if (Array.isArray(tool.args)) tool.args.push(args);
    } else if (args != null && typeof args === "object") tool.args = args;
  }

  /** Emits every collected tool call as one complete tool_use block. */
  #emitTools(controller: Controller): void {
    if (this.#toolsEmitted === this.#tools.length) return;
    this.#note(controller);
    this.#closeOpen(controller);
    for (const tool of this.#tools.slice(this.#toolsEmitted)) {
      this.#toolsEmitted++;
      if (!tool.name) {
        this.#options.onWarning?.(`dropped a tool call without a function name (id ${tool.id})`);
        continue;
      }
      const name = this.#options.toolNames.get(tool.name) ?? tool.name;
      const args = finalizeArguments(Array.isArray(tool.args) ? tool.args.join("") : tool.args);
      if (!args.ok) {
        throw new ProxyError(
          502,
          "api_error",
          `The model called tool "${name}" with ${args.reason}`,
        );
      }
      this.#outputChars += args.json.length;
      let clientId = clientToolId(tool.id, tool.signature);
      if (this.#usedIds.has(clientId) && tool.id) {
        clientId = repeatedToolId(tool.id, this.#usedIds.size);
      }
      this.#usedIds.add(clientId);
      const index = this.#startBlock(
        { type: "tool_use", id: clientId, name, input: {} },
        controller,
      );
      controller.enqueue({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: args.json },
      });
      controller.enqueue({ type: "content_block_stop", index });
      this.#emittedTool = true;
    }
  }

  /** The no-search note, once, as its own text block before the answer. */
  #note(controller: Controller): void {
    if (!this.#noteDue) return;
    this.#noteDue = false;
    this.#wholeText(NO_SEARCH_NOTE, controller);
  }

  /** A complete text block: start, one delta, stop. */
  #wholeText(text: string, controller: Controller): void {
    this.#closeOpen(controller);
    const index = this.#startBlock({ type: "text", text: "" }, controller);
    controller.enqueue({
      type: "content_block_delta",
      index,
      delta: { type: "text_delta", text },
    });
    controller.enqueue({ type: "content_block_stop", index });
  }

  /** The search blocks (when the backend cited anything), then the held answer text. */
  #emitSearch(controller: Controller): void {
    const results = this.#citations.results;
    if (results.length) {
      this.#closeOpen(controller);
      const [use, result] = webSearchBlocks(this.#options.webSearch!.query, results);
      const index = this.#startBlock({ ...use, input: {} }, controller);
      controller.enqueue({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(use.input) },
      });
      controller.enqueue({ type: "content_block_stop", index });
      controller.enqueue({
        type: "content_block_stop",
        index: this.#startBlock(result, controller),
      });
    }
    if (this.#held.length) this.#wholeText(this.#held.join(""), controller);
    this.#held = [];
  }

  #startBlock(block: ContentBlockStart, controller: Controller): number {
    const index = this.#nextIndex++;
    controller.enqueue({ type: "content_block_start", index, content_block: block });
    return index;
  }

  #closeOpen(controller: Controller): void {
    if (!this.#open) return;
    const { index, kind } = this.#open;
    if (kind === "thinking") {
      controller.enqueue({
        type: "content_block_delta",
        index,
        delta: { type: "signature_delta", signature: proxySignature() },
      });
    }
    controller.enqueue({ type: "content_block_stop", index });
    this.#open = undefined;
  }

  #finish(controller: Controller): void {
    try {
      for (const part of this.#thinkTags.flush()) this.#part(part, controller);
      if (this.#searching) this.#emitSearch(controller);
      this.#emitTools(controller);
      this.#note(controller);
    } catch (error) {
      return this.#fail(controller, error);
    }
    this.#closeOpen(controller);
    const stop = toStopReason(this.#finishReason, {
      emittedTool: this.#emittedTool,
      matchedStop: this.#matchedStop,
    });
    const usage: Usage = withSearchUsage(
      toAnthropicUsage(this.#usage, {
        inputTokens: this.#options.inputTokens,
        outputTokens: Math.ceil(this.#outputChars / 4),
      }),
      this.#options.webSearch,
      this.#citations.results.length > 0,
    );
    controller.enqueue({ type: "message_delta", delta: stop, usage });
    controller.enqueue({ type: "message_stop" });
    this.#ended = true;
    controller.terminate();
  }

  /** Ends the stream with Anthropic's error event; nothing follows it. */
  #fail(controller: Controller, error: unknown): void {
    const problem = error instanceof ProxyError
      ? error
      : new ProxyError(500, "api_error", `Stream translation failed: ${String(error)}`);
    controller.enqueue({
      type: "error",
      error: { type: problem.kind, message: problem.message },
    });
    this.#ended = true;
    controller.terminate();
  }
}

/** TransformStream of decoded upstream SSE events → Anthropic stream events. */
export class OpenAIToAnthropicStream extends TransformStream<DecodedEvent, StreamEvent> {
  constructor(options: StreamOptions) {
    const translator = new StreamTranslator(options);
    super({
      start: (controller) => translator.start(controller),
      transform: (event, controller) => translator.transform(event, controller),
      flush: (controller) => translator.flush(controller),
    });
  }
}
