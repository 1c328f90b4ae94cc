/**
 * Input-token counting for /v1/messages/count_tokens: a real BPE tokenizer (o200k_base, from
 * gpt-tokenizer) over the translated request, i.e. the text the backend will see. Editors fire
 * dozens of these per second with mostly the same content, so counts are memoized per piece of
 * text (system prompt, each message, each tool) in a bounded LRU owned by the handler.
 * @module
 */
import type { ChatCompletionRequest, ContentPart } from "./openai/schema.ts";

// OpenAI's chat format costs about 3 tokens per message plus 3 to prime the reply.
const PER_MESSAGE = 3;
const PER_REQUEST = 3;
// Anthropic's resize limit (~1.15 megapixels) costs about 1,600 tokens; used when an image's
// size cannot be read from its header.
const IMAGE_TOKENS = 1600;
const MIN_CACHED_LENGTH = 64;

type Encoder = (text: string) => number;

/** Counts tokens with a lazily loaded tokenizer and a per-instance cache. */
export class TokenCounter {
  #encoder: Promise<Encoder> | undefined;
  readonly #cache = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  /** Counts the tokens of a translated request: messages, tools and per-message overhead. */
  async count(request: ChatCompletionRequest): Promise<number> {
    const encode = await (this.#encoder ??= loadEncoder());
    let total = PER_REQUEST;
    for (const message of request.messages) {
      total += PER_MESSAGE;
      const content = message.content;
      if (typeof content === "string") total += this.#text(content, encode);
      else if (Array.isArray(content)) {
        for (const part of content) total += this.#part(part, encode);
      }
      if (message.role === "assistant" && message.tool_calls) {
        for (const call of message.tool_calls) {
          total += this.#text(call.function.name, encode) +
            this.#text(call.function.arguments, encode);
        }
      }
    }
    for (const tool of request.tools ?? []) total += this.#text(JSON.stringify(tool), encode);
    return total;
  }

  #part(part: ContentPart, encode: Encoder): number {
    if (part.type === "text") return this.#text(part.text, encode);
    if (part.type === "image_url") return imageTokens(part.image_url.url);
    // PDFs: roughly one page per 3 KB of base64, ~1,500 tokens a page (text plus page image).
    return Math.ceil(part.file.file_data.length / 3000) * 1500;
  }

  #text(text: string, encode: Encoder): number {
    if (text.length < MIN_CACHED_LENGTH) return encode(text);
    const cached = this.#cache.get(text);
    if (cached !== undefined) {
      // Refresh its place in the LRU order.
      this.#cache.delete(text);
      this.#cache.set(text, cached);
      return cached;
    }
    const count = encode(text);
    this.#cache.set(text, count);
    if (this.#cache.size > this.#capacity) this.#cache.delete(this.#cache.keys().next().value!);
    return count;
  }
}

// BPE merging is quadratic in the length of one pre-token: a 200,000-character run of one letter
// took 16 s. Counting in pieces of at most this size (cut at whitespace where possible) keeps it
// linear; a cut inside a word changes the count by at most one token per piece.
const PIECE = 2048;

async function loadEncoder(): Promise<Encoder> {
  const { countTokens } = await import("gpt-tokenizer/encoding/o200k_base");
  return (text) => {
    if (text.length <= PIECE) return countTokens(text);
    let total = 0;
    for (let start = 0; start < text.length;) {
      let end = Math.min(text.length, start + PIECE);
      if (end < text.length) {
        const space = text.lastIndexOf(" ", end);
        if (space > start + PIECE / 2) end = space;
      }
      total += countTokens(text.slice(start, end));
      start = end;
    }
    return total;
  };
}

/** Anthropic's image formula, width × height / 750, capped; PNG and GIF sizes read from headers. */
export function imageTokens(url: string): number {
  const match = /^data:image\/(png|gif);base64,(.{0,64})/.exec(url);
  if (!match) return IMAGE_TOKENS;
  let bytes: Uint8Array;
  try {
    const head = match[2].slice(0, 32);
    bytes = Uint8Array.from(
      atob(head.slice(0, head.length - (head.length % 4))),
      (c) => c.charCodeAt(0),
    );
  } catch {
    return IMAGE_TOKENS;
  }
  const view = new DataView(bytes.buffer);
  let width = 0;
  let height = 0;
  if (match[1] === "png" && bytes.length >= 24) {
    width = view.getUint32(16);
    height = view.getUint32(20);
  } else if (match[1] === "gif" && bytes.length >= 10) {
    width = view.getUint16(6, true);
    height = view.getUint16(8, true);
  }
  if (!width || !height) return IMAGE_TOKENS;
  return Math.min(IMAGE_TOKENS, Math.ceil((width * height) / 750));
}

/**
 * A cheap estimate (about 4 characters a token) for message_start, where Claude Code's context
 * meter wants a number at once; the real usage follows in message_delta.
 */
export function estimateTokens(request: ChatCompletionRequest): number {
  let chars = 0;
  let images = 0;
  for (const message of request.messages) {
    const content = message.content;
    if (typeof content === "string") chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === "text") chars += part.text.length;
        else images++;
      }
    }
    if (message.role === "assistant") {
      for (const call of message.tool_calls ?? []) chars += call.function.arguments.length;
    }
  }
  for (const tool of request.tools ?? []) {
    chars += (tool.function.description?.length ?? 0) +
      JSON.stringify(tool.function.parameters).length;
  }
  return Math.ceil(chars / 4) + images * IMAGE_TOKENS + request.messages.length * PER_MESSAGE;
}
