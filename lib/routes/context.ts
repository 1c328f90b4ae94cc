/**
 * What every route gets: the config, injected dependencies and per-request state.
 * @module
 */
import type { Backend, Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { RequestLog } from "../request_log.ts";
import type { StreamTiming } from "../stream_response.ts";
import type { TokenCounter } from "../tokens.ts";
import type { Fetch } from "../upstream.ts";

/** Per-handler dependencies plus the current request's log. */
export interface Context {
  config: Config;
  fetch: Fetch;
  logger: Logger;
  tokens: TokenCounter;
  timing: StreamTiming;
  log: RequestLog;
}

/** The client's own key: `x-api-key`, or `Authorization: Bearer` (Claude Code's auth token). */
export function clientKey(request: Request): string | undefined {
  const key = request.headers.get("x-api-key");
  if (key) return key;
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "");
  return match?.[1].trim() || undefined;
}

/** The key sent upstream: the configured one, else the client's (as the original worker did). */
export function upstreamKey(backend: Backend, request: Request): string | undefined {
  return backend.apiKey ?? clientKey(request);
}

/** A JSON response. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
