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
  for (const event of events) text += eventText(event);
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

type TextDelta = {
  type: "content_block_delta";
  index: number;
  delta: { type: string; text?: string };
};

/**
 * One event's text. A text delta (nearly every event of an answer) is written around its text,
 * byte for byte what JSON.stringify gives for the translator's object, at half the cost.
 */
function eventText(event: { type: string }): string {
  if (event.type === "content_block_delta") {
    const { index, delta } = event as TextDelta;
    // A text_delta holds exactly type and text (lib/anthropic/schema.ts).
    if (delta.type === "text_delta") {
      return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${
        JSON.stringify(delta.text)
      }}}\n\n`;
    }
  }
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
