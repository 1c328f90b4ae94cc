/**
 * Server-sent events in: bytes → parsed JSON payloads, via eventsource-parser. Tolerates what
 * real backends and intermediaries send: comment lines (OpenRouter's `: OPENROUTER PROCESSING`),
 * blank `data:` lines, `data: : keepalive`, CRLF endings, JSON split across reads.
 * @module
 */
import { createParser, type EventSourceParser } from "eventsource-parser";

/** One decoded SSE event. */
export type DecodedEvent =
  | { kind: "json"; event: string | undefined; value: unknown }
  | { kind: "done" }
  | { kind: "invalid"; text: string };

/**
 * A synchronous decoder: feed bytes, get the events they completed. Never throws on bad input:
 * malformed JSON becomes an `invalid` event for the translator.
 */
export class SseDecoder {
  readonly #text = new TextDecoder();
  readonly #parser: EventSourceParser;
  #out: DecodedEvent[] = [];

  constructor() {
    this.#parser = createParser({
      onEvent: (message) => {
        const data = message.data.trim();
        // Empty data and `data: : keepalive` (a comment inside data) carry nothing.
        if (data === "" || data.startsWith(":")) return;
        if (data === "[DONE]") {
          this.#out.push({ kind: "done" });
          return;
        }
        try {
          this.#out.push({ kind: "json", event: message.event, value: JSON.parse(data) });
        } catch {
          this.#out.push({ kind: "invalid", text: data.slice(0, 200) });
        }
      },
    });
  }

  /** Decodes one chunk of bytes; returns the events it completed. */
  feed(chunk: Uint8Array): DecodedEvent[] {
    this.#parser.feed(this.#text.decode(chunk, { stream: true }));
    return this.#take();
  }

  /** Ends the input; a last event without its blank line still counts. */
  end(): DecodedEvent[] {
    this.#parser.feed(this.#text.decode() + "\n\n");
    return this.#take();
  }

  #take(): DecodedEvent[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
}

/** The decoder as a TransformStream, for composing with pipeThrough. */
export class SseDecoderStream extends TransformStream<Uint8Array, DecodedEvent> {
  constructor() {
    const decoder = new SseDecoder();
    super({
      transform(chunk, controller) {
        for (const event of decoder.feed(chunk)) controller.enqueue(event);
      },
      flush(controller) {
        for (const event of decoder.end()) controller.enqueue(event);
      },
    });
  }
}
