/**
 * SSE out: the bytes of every event are `event: <type>\ndata: <JSON.stringify(event)>\n\n`,
 * including text deltas, which the encoder writes without stringifying the whole object.
 */
import { equal } from "node:assert/strict";
import fc from "fast-check";
import { encodeEvent, encodeEvents } from "../lib/sse_encoder.ts";

const decoder = new TextDecoder();
const plain = (events: { type: string }[]) =>
  events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join("");

Deno.test("encodeEvents writes text deltas byte for byte as JSON.stringify would", () => {
  const text = fc.string({ unit: "binary", maxLength: 20 });
  const event = fc.oneof(
    fc.record({
      type: fc.constant("content_block_delta"),
      index: fc.nat(50),
      delta: fc.record({ type: fc.constant("text_delta"), text }),
    }),
    fc.record({
      type: fc.constant("content_block_delta"),
      index: fc.nat(50),
      delta: fc.record({ type: fc.constant("thinking_delta"), thinking: text }),
    }),
    fc.record({
      type: fc.constant("content_block_start"),
      index: fc.nat(50),
      content_block: fc.record({ type: fc.constant("text"), text }),
    }),
    fc.constant({ type: "message_stop" }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 8 }), (events) => {
      equal(decoder.decode(encodeEvents(events)), plain(events));
    }),
    { seed: 7, numRuns: 500 },
  );
});

Deno.test("encodeEvents: quotes, newlines, control characters and lone surrogates in text", () => {
  const events = ['"', "\n\r\t", "\u0000\u001f", "\u2028", "\ud800", "é😀", ""].map((text) => ({
    type: "content_block_delta",
    index: 3,
    delta: { type: "text_delta", text },
  }));
  equal(decoder.decode(encodeEvents(events)), plain(events));
  equal(decoder.decode(encodeEvent({ type: "ping" })), 'event: ping\ndata: {"type":"ping"}\n\n');
});
