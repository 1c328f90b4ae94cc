/**
 * Server-sent events out, in Anthropic's exact form: `event: <type>\ndata: <json>\n\n`.
 * The Anthropic SDK dispatches on the `event:` line, so it is never omitted.
 * @module
 */

const encoder = new TextEncoder();

/** Encodes one event; JSON.stringify never emits a raw newline, so one data line suffices. */
export function encodeEvent(event: { type: string }): Uint8Array {
  return encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

/** Encodes a `data:`-only event (the OpenAI dialect). */
export function encodeData(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\n\n`);
}

/** Encodes a batch of events as one chunk (one write per upstream read). */
export function encodeEvents(events: { type: string }[]): Uint8Array<ArrayBuffer> {
  let text = "";
  for (const event of events) text += `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}
