/**
 * Shared test helpers: fixtures, SSE bytes, stream collection, fake and real mock upstreams.
 * @module
 */
import type { StreamEvent } from "../lib/anthropic/schema.ts";
import { SseDecoderStream } from "../lib/sse_decoder.ts";
import {
  OpenAIToAnthropicStream,
  type StreamOptions,
  VARYING_FIELDS,
} from "../lib/translate/openai_stream_to_anthropic.ts";

const encoder = new TextEncoder();
const FIXTURES = new URL("./fixtures/", import.meta.url);

/** Reads a fixture file as text (path relative to tests/fixtures/). */
export function fixtureText(path: string): string {
  return Deno.readTextFileSync(new URL(path, FIXTURES));
}

/** Reads a JSON fixture. */
export function fixtureJson<T = unknown>(path: string): T {
  return JSON.parse(fixtureText(path));
}

/** SSE bytes from chunk objects: `data: <json>\n\n` each, then `data: [DONE]` unless disabled. */
export function sseText(chunks: unknown[], options: { done?: boolean } = {}): string {
  let text = "";
  for (const chunk of chunks) text += `data: ${JSON.stringify(chunk)}\n\n`;
  if (options.done !== false) text += "data: [DONE]\n\n";
  return text;
}

/** A byte stream delivering `text` in the given pieces (default: one piece). */
export function byteStream(text: string, splitAt: number[] = []): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(text);
  const cuts = [0, ...splitAt.filter((n) => n > 0 && n < bytes.length), bytes.length];
  const pieces = cuts.slice(1).map((end, i) => bytes.slice(cuts[i], end));
  return ReadableStream.from(pieces);
}

/** Reads a stream to the end. */
export async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

/** Default stream-translation options for tests. */
export function streamOptions(overrides: Partial<StreamOptions> = {}): StreamOptions {
  return {
    id: "msg_test",
    model: "claude-sonnet-4-5",
    thinking: true,
    toolNames: new Map(),
    inputTokens: 10,
    backend: "http://upstream.test/v1",
    ...overrides,
  };
}

/**
 * Runs SSE text (optionally split into pieces) through decoder + translator; returns events. The
 * decoder takes the server's text-delta fast path, so every fixture exercises it.
 */
export function translateSse(
  text: string,
  overrides: Partial<StreamOptions> = {},
  splitAt: number[] = [],
): Promise<StreamEvent[]> {
  return collect(
    byteStream(text, splitAt)
      .pipeThrough(new SseDecoderStream({ varying: VARYING_FIELDS }))
      .pipeThrough(new OpenAIToAnthropicStream(streamOptions(overrides))),
  );
}

/**
 * Checks Anthropic's stream grammar: message_start first; block indices 0,1,2… in order; at most
 * one block open; deltas only to the open block; then message_delta, message_stop — or an error
 * event last. Throws with a description of the first violation.
 */
export function assertGrammar(events: StreamEvent[]): void {
  if (events[0]?.type !== "message_start") throw new Error("first event is not message_start");
  let next = 0;
  let open: number | undefined;
  let sawDelta = false;
  for (const [i, event] of events.entries()) {
    const where = `event ${i} (${event.type})`;
    if (i > 0 && event.type === "message_start") throw new Error(`${where}: second message_start`);
    if (event.type === "error" && i !== events.length - 1) throw new Error(`${where}: not last`);
    if (sawDelta && event.type !== "message_stop" && event.type !== "ping") {
      throw new Error(`${where}: after message_delta`);
    }
    if (event.type === "content_block_start") {
      if (open !== undefined) throw new Error(`${where}: block ${open} still open`);
      if (event.index !== next) throw new Error(`${where}: index ${event.index}, expected ${next}`);
      open = next++;
    } else if (event.type === "content_block_delta") {
      if (event.index !== open) throw new Error(`${where}: delta to ${event.index}, open ${open}`);
    } else if (event.type === "content_block_stop") {
      if (event.index !== open) throw new Error(`${where}: stop ${event.index}, open ${open}`);
      open = undefined;
    } else if (event.type === "message_delta") {
      if (open !== undefined) throw new Error(`${where}: block ${open} still open`);
      sawDelta = true;
    } else if (event.type === "message_stop" && !sawDelta) {
      throw new Error(`${where}: without message_delta`);
    }
  }
  const last = events.at(-1)?.type;
  if (last !== "message_stop" && last !== "error") throw new Error(`stream ends with ${last}`);
}

/** Rebuilds the final content the way the Anthropic SDK's accumulator does. */
export function accumulate(events: StreamEvent[]): unknown[] {
  const content: Record<string, unknown>[] = [];
  const json: string[] = [];
  for (const event of events) {
    if (event.type === "content_block_start") {
      content.push({ ...event.content_block });
      json.push("");
    } else if (event.type === "content_block_delta") {
      const block = content[event.index];
      const delta = event.delta;
      if (delta.type === "text_delta") block.text += delta.text;
      else if (delta.type === "thinking_delta") block.thinking += delta.thinking;
      else if (delta.type === "signature_delta") block.signature = delta.signature;
      else json[event.index] += delta.partial_json;
    } else if (event.type === "content_block_stop") {
      const block = content[event.index];
      // The SDK parses the input of tool_use and server_tool_use blocks (tracksToolInput).
      if (block.type === "tool_use" || block.type === "server_tool_use") {
        block.input = json[event.index] ? JSON.parse(json[event.index]) : {};
      }
    }
  }
  return content;
}

/** A fake fetch answering from a script; records the requests it saw. */
export function fakeFetch(
  respond: (request: Request) => Response | Promise<Response>,
): {
  fetch: (input: Request | URL | string, init?: RequestInit) => Promise<Response>;
  requests: Request[];
} {
  const requests: Request[] = [];
  return {
    requests,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(request.clone());
      return await respond(request);
    },
  };
}

/** An SSE Response for a fake or mock upstream. */
export function sseResponse(text: string, status = 200): Response {
  return new Response(text, { status, headers: { "content-type": "text/event-stream" } });
}
