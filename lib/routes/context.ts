/**
 * What every route gets: the config, injected dependencies and per-request state.
 * @module
 */
import type { Backend, Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { RequestLog } from "../request_log.ts";
import { clientGone, type ProxyError } from "../errors.ts";
import type { VaryingPath } from "../sse_decoder.ts";
import { type StreamTiming, translatedBody, type Translator } from "../stream_response.ts";
import type { TokenCounter } from "../tokens.ts";
import type { ConnectProbe, Fetch, UpstreamResponse } from "../upstream.ts";

/** Per-handler dependencies plus the current request's log. */
export interface Context {
  config: Config;
  fetch: Fetch;
  connectProbe?: ConnectProbe;
  logger: Logger;
  tokens: TokenCounter;
  timing: StreamTiming;
  /** Waits between retries (tests make it instant). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  log: RequestLog;
}

/** The client's own key: `x-api-key`, or `Authorization: Bearer` (Claude Code's auth token). */
export function clientKey(request: Request): string | undefined {
  const key = request.headers.get("x-api-key");
  if (key) return key;
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "");
  return match?.[1].trim() || undefined;
}

/**
 * The key sent upstream: the configured one, else the client's (as the original worker did) —
 * unless the client's key is the proxy's own auth token, which never leaves the proxy.
 */
export function upstreamKey(
  backend: Backend,
  request: Request,
  authToken?: string,
): string | undefined {
  if (backend.apiKey) return backend.apiKey;
  return authToken ? undefined : clientKey(request);
}

/** A JSON response. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Headers of every SSE response the proxy writes. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
};

/** What a route supplies to stream an upstream answer through its translator. */
export interface StreamRouteOptions<T> {
  backend: string;
  encode: (events: T[]) => Uint8Array;
  failure: (error: ProxyError) => T;
  ping: Uint8Array;
  observe: (event: T) => void;
  /** Runs when the body ends, before the log line is written. */
  finished?: () => void;
  /** The strings that change from event to event in the upstream's stream (see SseDecoder). */
  varying?: readonly VaryingPath[];
}

/**
 * Streams an upstream answer through a translator into a 200 SSE response, wiring the exchange's
 * deadlines, abort and settle to the body, and writing the request's log line when it ends.
 */
export async function streamRoute<T>(
  context: Context,
  upstream: UpstreamResponse,
  body: ReadableStream<Uint8Array>,
  translator: Translator<T>,
  options: StreamRouteOptions<T>,
): Promise<Response> {
  const { log } = context;
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await translatedBody<T>(body, translator, {
      backend: options.backend,
      timing: context.timing,
      encode: options.encode,
      failure: options.failure,
      ping: options.ping,
      observe: options.observe,
      done(outcome) {
        upstream.settle();
        options.finished?.();
        if (outcome === "cancelled") log.error = "client disconnected";
        log.end(true);
      },
      abort: () => upstream.abort(),
      idleMs: context.config.timeouts.idleMs,
      explain: () => upstream.timedOut(),
      signal: upstream.signal,
      varying: options.varying,
    });
  } catch (error) {
    upstream.settle();
    throw error;
  }
  log.defer();
  return new Response(stream, { status: 200, headers: SSE_HEADERS });
}

/**
 * Reads a whole JSON answer and ends the exchange. Undefined when the body is not JSON; throws
 * the deadline that cut it short, or a 499 when the client left meanwhile (its abort fails the
 * read, which must not read as a broken backend).
 */
export async function upstreamJson(upstream: UpstreamResponse): Promise<unknown> {
  const json = await upstream.response.json().catch(() => undefined);
  upstream.settle();
  const timedOut = upstream.timedOut();
  if (timedOut) throw timedOut;
  if (upstream.signal.aborted) throw clientGone(upstream.signal.reason);
  return json;
}
