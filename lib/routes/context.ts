/**
 * What every route gets: the config, injected dependencies and per-request state.
 * @module
 */
import type { Backend, Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { RequestLog } from "../request_log.ts";
import type { StreamTiming } from "../stream_response.ts";
import type { TokenCounter } from "../tokens.ts";
import type { ConnectProbe, Fetch } from "../upstream.ts";

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
