/**
 * The one place that talks to a backend: POST JSON with the injected fetch, with deadlines
 * (connect, first byte, total) and retries, turning every failure before the first byte into a
 * ProxyError — so nothing has reached the client yet and the client gets a real HTTP error.
 * @module
 */
import type { Timeouts } from "./config.ts";
import {
  clientGone,
  fromFetchFailure,
  fromUpstreamStatus,
  ProxyError,
  readErrorResponse,
} from "./errors.ts";

/** A fetch function; tests inject a fake one. */
export type Fetch = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

/**
 * Checks that a TCP connection to host:port can be made within the time given. fetch() has no
 * connect timeout on Deno or Bun; main.ts injects a probe built on node:net.
 */
export type ConnectProbe = (host: string, port: number, timeoutMs: number) => Promise<void>;

/** One upstream call. */
export interface UpstreamCall {
  url: string;
  /** Names the backend in error messages (no credentials). */
  label: string;
  apiKey: string | undefined;
  body: string;
  /** The client's signal: aborting it aborts the upstream request. */
  signal: AbortSignal;
  /** The backend's dialect: anthropic sends the key as x-api-key with anthropic-version. */
  dialect?: "openai" | "anthropic";
  /** Extra request headers (anthropic-beta, the client's anthropic-version). */
  headers?: Record<string, string>;
}

/** How hard to try. */
export interface UpstreamPolicy {
  timeouts: Timeouts;
  retries: number;
  connectProbe?: ConnectProbe;
  /** Told about each retry (for the log). */
  onRetry?: (attempt: number, delayMs: number, reason: string) => void;
  /** Injectable for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** A 2xx upstream response and the handle that ends the exchange. */
export interface UpstreamResponse {
  response: Response;
  /** Aborts the upstream request (client gone, or the proxy gives up). */
  abort(reason?: unknown): void;
  /** Aborted when the exchange ends early (deadline, client gone). */
  signal: AbortSignal;
  /** Why the exchange was aborted by a deadline, if it was. */
  timedOut(): ProxyError | undefined;
  /** Stops the total-time clock once the body has been consumed. */
  settle(): void;
}

/** The Messages API version sent to anthropic backends unless the client named one. */
export const ANTHROPIC_VERSION = "2023-06-01";

const RETRY_STATUS = new Set([429, 500, 502, 503, 504, 529]);
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
// A retry-after longer than this is passed to the client instead of waited out.
const MAX_RETRY_AFTER_MS = 30_000;

/** Posts the body; resolves only with a 2xx response, else throws ProxyError. */
export async function postUpstream(
  fetchFn: Fetch,
  call: UpstreamCall,
  policy: UpstreamPolicy,
): Promise<UpstreamResponse> {
  const { timeouts } = policy;
  const exchange = new AbortController();
  let timeout: ProxyError | undefined;
  const expire = (error: ProxyError) => {
    timeout ??= error;
    exchange.abort(error);
  };
  const total = setTimeout(
    () =>
      expire(
        new ProxyError(
          504,
          "timeout_error",
          `Upstream ${call.label} did not finish within ${
            seconds(timeouts.totalMs)
          } (--total-timeout)`,
        ),
      ),
    timeouts.totalMs,
  );
  const onClientAbort = () => exchange.abort(call.signal.reason);
  if (call.signal.aborted) onClientAbort();
  else call.signal.addEventListener("abort", onClientAbort, { once: true });
  const settle = () => {
    clearTimeout(total);
    call.signal.removeEventListener("abort", onClientAbort);
  };

  try {
    for (let attempt = 0;; attempt++) {
      const outcome = await attemptOnce(fetchFn, call, policy, exchange.signal);
      if (timeout) throw timeout;
      if (outcome.ok) {
        return {
          response: outcome.response,
          abort: (reason) => exchange.abort(reason),
          signal: exchange.signal,
          timedOut: () => timeout,
          settle,
        };
      }
      const delay = outcome.retryable ? retryDelay(outcome.error, attempt, policy) : undefined;
      if (delay === undefined) throw outcome.error;
      policy.onRetry?.(attempt + 1, delay, outcome.error.message);
      await (policy.sleep ?? sleep)(delay, exchange.signal);
      if (timeout) throw timeout;
      if (exchange.signal.aborted) throw clientGone(exchange.signal.reason);
    }
  } catch (error) {
    settle();
    throw error;
  }
}

type Attempt =
  | { ok: true; response: Response }
  | { ok: false; error: ProxyError; retryable: boolean };

/** One fetch, bounded by the connect and first-byte deadlines. */
async function attemptOnce(
  fetchFn: Fetch,
  call: UpstreamCall,
  policy: UpstreamPolicy,
  exchange: AbortSignal,
): Promise<Attempt> {
  const { timeouts } = policy;
  const attempt = new AbortController();
  const forward = () => attempt.abort(exchange.reason);
  if (exchange.aborted) forward();
  else exchange.addEventListener("abort", forward, { once: true });
  let deadline: ProxyError | undefined;
  let connectFailed = false;
  const fail = (error: ProxyError, connect = false) => {
    deadline ??= error;
    connectFailed ||= connect;
    attempt.abort(error);
  };
  const firstByte = setTimeout(() =>
    fail(
      new ProxyError(
        504,
        "timeout_error",
        `Upstream ${call.label} did not start answering within ${
          seconds(timeouts.firstByteMs)
        } (--first-byte-timeout)`,
      ),
    ), timeouts.firstByteMs);
  // Half the connect budget passes before probing, so a live-but-slow backend costs no probe.
  let headersArrived = false;
  const probeTimer = policy.connectProbe
    ? setTimeout(() => {
      const url = new URL(call.url);
      const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
      policy.connectProbe!(url.hostname, port, timeouts.connectMs / 2).catch((error) => {
        if (headersArrived) return;
        fail(
          new ProxyError(
            502,
            "api_error",
            `Cannot connect to upstream ${call.label} within ${
              seconds(timeouts.connectMs)
            } (--connect-timeout): ${error instanceof Error ? error.message : String(error)}`,
          ),
          true,
        );
      });
    }, timeouts.connectMs / 2)
    : undefined;

  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  if (call.dialect === "anthropic") {
    headers["anthropic-version"] = ANTHROPIC_VERSION;
    if (call.apiKey) headers["x-api-key"] = call.apiKey;
  } else if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
  Object.assign(headers, call.headers);
  try {
    const response = await fetchFn(call.url, {
      method: "POST",
      headers,
      body: call.body,
      signal: attempt.signal,
    });
    headersArrived = true;
    // The exchange's signal stays linked: aborting it must also stop reading this body.
    if (response.ok) return { ok: true, response };
    exchange.removeEventListener("abort", forward);
    const error = fromUpstreamStatus(
      response.status,
      await readErrorResponse(response),
      call.label,
      response.headers,
    );
    return { ok: false, error, retryable: RETRY_STATUS.has(response.status) };
  } catch (caught) {
    if (deadline) return { ok: false, error: deadline, retryable: connectFailed };
    if (exchange.aborted) {
      const reason = exchange.reason;
      return {
        ok: false,
        error: reason instanceof ProxyError ? reason : clientGone(reason),
        retryable: false,
      };
    }
    exchange.removeEventListener("abort", forward);
    return { ok: false, error: fromFetchFailure(caught, call.label), retryable: true };
  } finally {
    headersArrived = true;
    clearTimeout(firstByte);
    clearTimeout(probeTimer);
  }
}

/** The wait before the next attempt, or undefined to give up. */
function retryDelay(
  error: ProxyError,
  attempt: number,
  policy: UpstreamPolicy,
): number | undefined {
  // Out of attempts, or a 429 that is really "out of credit": retrying cannot help.
  if (attempt >= policy.retries || error.kind === "billing_error") return undefined;
  const after = retryAfterMs(error.headers);
  if (after !== undefined) return after > MAX_RETRY_AFTER_MS ? undefined : after;
  const random = policy.random ?? Math.random;
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt * (0.5 + random()));
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Record<string, string>): number | undefined {
  const ms = Number(headers["retry-after-ms"]);
  if (headers["retry-after-ms"] && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers["retry-after"];
  if (!value) return undefined;
  const secondsValue = Number(value);
  if (Number.isFinite(secondsValue) && secondsValue >= 0) return secondsValue * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
