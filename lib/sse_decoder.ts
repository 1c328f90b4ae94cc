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

/** Never throws on bad input: malformed JSON becomes an `invalid` event for the translator. */
export class SseDecoderStream extends TransformStream<Uint8Array, DecodedEvent> {
  constructor() {
    const decoder = new TextDecoder();
    let parser: EventSourceParser;
    super({
      start(controller) {
        parser = createParser({
          onEvent(message) {
            const data = message.data.trim();
            // Empty data and `data: : keepalive` (a comment inside data) carry nothing.
            if (data === "" || data.startsWith(":")) return;
            if (data === "[DONE]") {
              controller.enqueue({ kind: "done" });
              return;
            }
            try {
              controller.enqueue({ kind: "json", event: message.event, value: JSON.parse(data) });
            } catch {
              controller.enqueue({ kind: "invalid", text: data.slice(0, 200) });
            }
          },
        });
      },
      transform(chunk) {
        parser.feed(decoder.decode(chunk, { stream: true }));
      },
      flush() {
        const rest = decoder.decode();
        // A last event without its blank line still counts (some servers close right after it).
        parser.feed(rest + "\n\n");
      },
    });
  }
}
