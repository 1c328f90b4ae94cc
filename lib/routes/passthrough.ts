/**
 * Same-dialect pass-through: the client and the backend speak the same API, so the request body
 * goes upstream with only its `model` mapped, and the answer (JSON or stream) is relayed byte for
 * byte. Keys are injected per the backend's dialect (upstream.ts).
 * @module
 */
import { ProxyError } from "../errors.ts";
import { type Hop, postHop } from "../route_chain.ts";
import type { Context } from "./context.ts";

/** One relayed exchange. */
export interface PassThrough {
  url: string;
  apiKey: string | undefined;
  dialect: "openai" | "anthropic";
  /** The client's JSON body; only `model` is replaced. */
  body: Record<string, unknown>;
  /** The body's text as the client sent it, relayed with only the model changed when possible. */
  text?: string;
  model: string;
  headers?: Record<string, string>;
}

/** Posts the body upstream and relays the answer unchanged. */
export async function passThrough(
  request: Request,
  context: Context,
  hop: Hop,
  call: PassThrough,
): Promise<Response> {
  const { logger, log } = context;
  const upstreamBody = (call.text !== undefined &&
    withModel(call.text, call.body.model, call.model)) ||
    JSON.stringify({ ...call.body, model: call.model });
  if (logger.enabled("debug")) logger.log("debug", `upstream request: ${upstreamBody}`);
  const upstream = await postHop(context, hop, {
    url: call.url,
    apiKey: call.apiKey,
    body: upstreamBody,
    signal: request.signal,
    dialect: call.dialect,
    headers: call.headers,
  });
  const response = upstream.response;
  const headers = new Headers();
  for (const name of ["content-type", "cache-control"]) {
    const value = response.headers.get(name);
    if (value) headers.set(name, value);
  }
  if (!response.body) {
    upstream.settle();
    return new Response(null, { status: response.status, headers });
  }
  const reader = response.body.getReader();
  let finished = false;
  const finish = (error?: string) => {
    if (finished) return;
    finished = true;
    upstream.settle();
    if (error) log.error = error;
    log.end(true);
  };
  log.defer();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (error) {
        if (!upstream.timedOut() && upstream.signal.aborted) {
          // The client's abort reached the upstream read before the body's cancel (Bun).
          finish("client disconnected");
          controller.close();
          return;
        }
        const reason = upstream.timedOut() ??
          new ProxyError(502, "api_error", `The upstream connection failed: ${String(error)}`);
        finish(reason.message);
        controller.error(reason);
        return;
      }
      if (read.done) {
        finish();
        controller.close();
      } else controller.enqueue(read.value);
    },
    cancel(reason) {
      finish("client disconnected");
      upstream.abort(reason);
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
  return new Response(body, { status: response.status, headers });
}

/** The client's anthropic-version and anthropic-beta headers, to keep on the way upstream. */
export function anthropicHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ["anthropic-version", "anthropic-beta"]) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  return headers;
}

/**
 * The client's text with its model replaced, or undefined when that cannot be done safely: the
 * text must hold `"model"` exactly once, as a key of the top-level object within its first
 * 4 KB, followed at once by `:` and the model as JSON.stringify writes it. Anything else (spaces
 * around the colon, an escaped name, the key late in a large body) is serialized again instead.
 * The backend then gets the client's own bytes (key order, number spelling, escapes) and the proxy
 * skips a serialization (150 KB: 133 → 95 µs; the search for a second "model" is most of it).
 */
export function withModel(text: string, from: unknown, to: string): string | undefined {
  if (typeof from !== "string") return undefined;
  const key = '"model"';
  const at = text.indexOf(key);
  if (at === -1 || at > 4096 || text.indexOf(key, at + key.length) !== -1) return undefined;
  const value = `:${JSON.stringify(from)}`;
  const end = at + key.length + value.length;
  if (text.slice(at + key.length, end) !== value || !topLevel(text, at)) return undefined;
  return `${text.slice(0, at)}${key}:${JSON.stringify(to)}${text.slice(end)}`;
}

/** Whether position `at` lies directly inside the outermost object, outside any string. */
function topLevel(text: string, at: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < at; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 92) i++; // a backslash: skip the escaped character
      else if (char === 34) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 123 || char === 91) depth++;
    else if (char === 125 || char === 93) depth--;
  }
  return depth === 1 && !inString;
}
