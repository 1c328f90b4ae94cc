/**
 * Upstream SSE bytes → the client's SSE body, in one pull-driven stage: each upstream read is
 * decoded, translated and encoded synchronously and written as one chunk (no per-event promise
 * hops, no buffering beyond that read). Before the response is committed it peeks, bounded, at
 * the first upstream event so that an error sent as the very first event still becomes a real
 * HTTP error. While the backend is silent it sends `ping`; when the client disconnects it cancels
 * the upstream read and aborts the upstream request.
 * @module
 */
import { clientGone, fromStreamError, ProxyError, readErrorDetail } from "./errors.ts";
import { type DecodedEvent, SseDecoder, type VaryingPath } from "./sse_decoder.ts";

/** Timing knobs; tests shorten them. */
export interface StreamTiming {
  /** How long to wait for the first upstream event before committing to a 200. */
  peekMs: number;
  /** Idle time after which a ping event is sent. */
  pingMs: number;
}

export const DEFAULT_TIMING: StreamTiming = { peekMs: 5_000, pingMs: 10_000 };

/** A synchronous stream translator (see openai_stream_to_anthropic.ts). */
export interface Translator<T> {
  start(sink: Sink<T>): void;
  transform(event: DecodedEvent, sink: Sink<T>): void;
  flush(sink: Sink<T>): void;
}

interface Sink<T> {
  enqueue(event: T): void;
  terminate(): void;
}

/** What the body needs besides the translator. */
export interface BodyOptions<T> {
  /** Names the backend in error messages. */
  backend: string;
  timing: StreamTiming;
  /** Encodes a batch of events as one chunk of bytes. */
  encode: (events: T[]) => Uint8Array;
  /** The event to send when the upstream connection fails mid-stream. */
  failure: (error: ProxyError) => T;
  /** The keep-alive bytes; undefined disables pings. */
  ping?: Uint8Array;
  /** Sees every event (usage for the log line). */
  observe?: (event: T) => void;
  /** Called once when the body ends, is cancelled or fails. */
  done: (outcome: "complete" | "cancelled") => void;
  /** Aborts the upstream request. */
  abort: () => void;
  /** The longest silence allowed between two upstream reads, in milliseconds. */
  idleMs?: number;
  /** Explains a failed upstream read (a deadline that aborted it, say). */
  explain?: (error: unknown) => ProxyError | undefined;
  /** Ends the stream when aborted, whether or not the upstream body notices. */
  signal?: AbortSignal;
  /** The strings that change from event to event in the upstream's stream (see SseDecoder). */
  varying?: readonly VaryingPath[];
}

type Read = ReadableStreamReadResult<Uint8Array>;

/**
 * Builds the response body. Resolves once the first upstream event arrived (or the peek bound
 * passed); throws ProxyError when that first event is an error object.
 */
export async function translatedBody<T>(
  upstream: ReadableStream<Uint8Array>,
  translator: Translator<T>,
  options: BodyOptions<T>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = upstream.getReader();
  const decoder = new SseDecoder({ varying: options.varying });
  const pending: T[] = [];
  let terminated = false;
  let upstreamDone = false;
  let inflight: Promise<Read> | undefined;
  const sink: Sink<T> = {
    enqueue: (event) => pending.push(event),
    terminate: () => (terminated = true),
  };
  const feed = (events: DecodedEvent[]) => {
    for (const event of events) {
      if (terminated) return;
      translator.transform(event, sink);
    }
    if (upstreamDone && !terminated) translator.flush(sink);
  };
  const consume = (read: Read): DecodedEvent[] => {
    if (!read.done) return decoder.feed(read.value);
    upstreamDone = true;
    return decoder.end();
  };

  // Peek: read until the first decoded event, or until the bound passes.
  translator.start(sink);
  const deadline = Date.now() + options.timing.peekMs;
  let first: DecodedEvent[] = [];
  while (!first.length && !upstreamDone) {
    inflight ??= reader.read();
    let read: Read | undefined;
    try {
      read = await withDeadline(inflight, deadline);
    } catch (error) {
      reader.cancel().catch(() => {});
      const explained = options.explain?.(error);
      if (!explained && clientAborted(options.signal)) throw clientGone(options.signal!.reason);
      throw explained ?? midStreamFailure(error);
    }
    if (read === undefined) break;
    inflight = undefined;
    first = consume(read);
  }
  const head = first[0];
  if (head?.kind === "json" && isErrorObject(head.value)) {
    reader.cancel().catch(() => {});
    throw fromStreamError(readErrorDetail(head.value, ""), options.backend);
  }
  feed(first);

  const signal = options.signal;
  const idle = (read: Promise<Read>): Promise<Read> => {
    const ms = options.idleMs;
    if (!ms && !signal) return read;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      if (ms) {
        timer = setTimeout(() =>
          reject(
            new ProxyError(
              504,
              "timeout_error",
              `Upstream ${options.backend} sent nothing for ${ms / 1000} s (--idle-timeout)`,
            ),
          ), ms);
      }
      if (signal) {
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      }
    });
    return Promise.race([read, stop]).finally(() => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    });
  };

  let closed = false;
  let lastSent = Date.now();
  let interval: ReturnType<typeof setInterval> | undefined;
  const finish = (outcome: "complete" | "cancelled") => {
    if (closed) return;
    closed = true;
    clearInterval(interval);
    options.done(outcome);
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const ping = options.ping;
      if (!ping) return;
      interval = setInterval(() => {
        if (closed || Date.now() - lastSent < options.timing.pingMs) return;
        lastSent = Date.now();
        try {
          controller.enqueue(ping);
        } catch {
          // Closed between the check and the enqueue.
        }
      }, Math.max(50, Math.floor(options.timing.pingMs / 2)));
    },
    async pull(controller) {
      while (!pending.length && !terminated && !upstreamDone) {
        let read: Read;
        try {
          read = await idle(inflight ?? reader.read());
        } catch (error) {
          if (closed) return;
          const explained = options.explain?.(error);
          if (!explained && clientAborted(signal)) {
            // The client went away and its abort reached the upstream read before the body's
            // cancel (Bun's order): nobody is left to tell, and the backend did nothing wrong.
            finish("cancelled");
            controller.close();
            return;
          }
          pending.push(options.failure(explained ?? midStreamFailure(error)));
          terminated = true;
          options.abort();
          break;
        } finally {
          inflight = undefined;
        }
        feed(consume(read));
      }
      if (pending.length) {
        const batch = pending.splice(0);
        if (options.observe) { for (const event of batch) options.observe(event); }
        controller.enqueue(options.encode(batch));
        lastSent = Date.now();
      }
      if (terminated || upstreamDone) {
        // Ended by the translator ([DONE], error) before EOF: release the upstream connection.
        if (!upstreamDone) reader.cancel().catch(() => {});
        finish("complete");
        controller.close();
      }
    },
    cancel(reason) {
      finish("cancelled");
      options.abort();
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

function withDeadline(read: Promise<Read>, deadline: number): Promise<Read | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([read, timeout]).finally(() => clearTimeout(timer));
}

/** The exchange was aborted for the client's sake (a deadline aborts it with a ProxyError). */
function clientAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && !(signal.reason instanceof ProxyError);
}

function isErrorObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    (value as { error?: unknown }).error != null;
}

function midStreamFailure(error: unknown): ProxyError {
  if (error instanceof ProxyError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ProxyError(502, "api_error", `The upstream connection failed mid-stream: ${reason}`);
}
