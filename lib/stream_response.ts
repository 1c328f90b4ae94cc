/**
 * Turning an upstream event stream into the client's SSE response body: peek at the first event
 * (an error as the very first event still becomes a real HTTP error), send `ping` while the
 * backend is silent, encode events as they come (no buffering), and on client disconnect cancel
 * the chain and abort the upstream request.
 * @module
 */
import { fromStreamError, ProxyError, readErrorDetail } from "./errors.ts";
import type { DecodedEvent } from "./sse_decoder.ts";

/** Timing knobs; tests shorten them. */
export interface StreamTiming {
  /** How long to wait for the first upstream event before committing to a 200. */
  peekMs: number;
  /** Idle time after which a ping event is sent. */
  pingMs: number;
}

export const DEFAULT_TIMING: StreamTiming = { peekMs: 5_000, pingMs: 10_000 };

/**
 * Waits (bounded) for the first decoded event. An error object there throws ProxyError; anything
 * else is replayed in front of the rest of the stream.
 */
export async function peekFirstEvent(
  events: ReadableStream<DecodedEvent>,
  backend: string,
  timing: StreamTiming,
): Promise<ReadableStream<DecodedEvent>> {
  const reader = events.getReader();
  let pending: Promise<ReadableStreamReadResult<DecodedEvent>> | undefined = reader.read();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timing.peekMs);
  });
  const first = await Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  if (first !== "timeout") {
    pending = undefined;
    const value = first.value;
    if (value?.kind === "json" && isErrorObject(value.value)) {
      reader.cancel().catch(() => {});
      throw fromStreamError(readErrorDetail(value.value, ""), backend);
    }
  }
  return new ReadableStream<DecodedEvent>({
    start(controller) {
      if (first === "timeout") return;
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      const next = await (pending ?? reader.read());
      pending = undefined;
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

function isErrorObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    (value as { error?: unknown }).error != null;
}

/** Hooks for the response body. */
export interface BodyHooks<T> {
  encode: (event: T) => Uint8Array;
  /** The event to send when the upstream connection fails mid-stream. */
  failure: (error: ProxyError) => T;
  /** The keep-alive event, encoded; undefined disables pings. */
  ping?: Uint8Array;
  /** Sees every event (usage for the log line). */
  observe?: (event: T) => void;
  /** Called once when the body ends, is cancelled or fails. */
  done: (outcome: "complete" | "cancelled" | "failed") => void;
  /** Aborts the upstream request. */
  abort: () => void;
}

/** Pull-driven body: one event encoded per read, so a slow client slows the upstream read. */
export function eventBody<T>(
  events: ReadableStream<T>,
  hooks: BodyHooks<T>,
  timing: StreamTiming,
): ReadableStream<Uint8Array> {
  const reader = events.getReader();
  let closed = false;
  let lastSent = Date.now();
  let interval: ReturnType<typeof setInterval> | undefined;
  const finish = (outcome: "complete" | "cancelled" | "failed") => {
    if (closed) return;
    closed = true;
    clearInterval(interval);
    hooks.done(outcome);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (!hooks.ping) return;
      const ping = hooks.ping;
      interval = setInterval(() => {
        if (closed || Date.now() - lastSent < timing.pingMs) return;
        lastSent = Date.now();
        try {
          controller.enqueue(ping);
        } catch {
          // The body was closed between the check and the enqueue.
        }
      }, Math.max(50, Math.floor(timing.pingMs / 2)));
    },
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          finish("complete");
          controller.close();
          return;
        }
        hooks.observe?.(next.value);
        controller.enqueue(hooks.encode(next.value));
        lastSent = Date.now();
      } catch (error) {
        if (closed) return;
        const problem = error instanceof ProxyError ? error : new ProxyError(
          502,
          "api_error",
          `The upstream connection failed mid-stream: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
        controller.enqueue(hooks.encode(hooks.failure(problem)));
        finish("failed");
        controller.close();
        hooks.abort();
      }
    },
    cancel(reason) {
      finish("cancelled");
      hooks.abort();
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
