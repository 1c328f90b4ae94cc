/**
 * The one info line per request: method, path, requested → upstream model, stream or not,
 * status, latency, tokens. Streams write it when they end, so the tokens are real.
 * @module
 */
import type { Logger } from "./log.ts";

/** Per-request log state; created by the handler, filled in by the route. */
export class RequestLog {
  readonly #logger: Logger;
  readonly #start = performance.now();
  readonly #method: string;
  readonly #path: string;
  #written = false;
  #deferred = false;
  model?: string;
  upstreamModel?: string;
  stream = false;
  status = 200;
  inputTokens?: number;
  outputTokens?: number;
  error?: string;

  constructor(logger: Logger, method: string, path: string) {
    this.#logger = logger;
    this.#method = method;
    this.#path = path;
  }

  /** The route writes the line itself later (at the end of a stream). */
  defer(): void {
    this.#deferred = true;
  }

  /** Writes the line now, unless it was deferred and this is not the deferred call. */
  end(fromDeferred = false): void {
    if (this.#written || (this.#deferred && !fromDeferred)) return;
    this.#written = true;
    const level = this.status >= 500 ? "warn" : "info";
    // At --log-level warn (a busy server) the line is not even built.
    if (!this.#logger.enabled(level)) return;
    const parts = [this.#method, this.#path];
    if (this.model) parts.push(`${this.model} → ${this.upstreamModel ?? this.model}`);
    if (this.model && this.#path === "/v1/messages") {
      parts.push(this.stream ? "stream" : "no-stream");
    }
    parts.push(String(this.status), `${(performance.now() - this.#start).toFixed(1)}ms`);
    if (this.inputTokens !== undefined) {
      parts.push(`in=${this.inputTokens} out=${this.outputTokens ?? 0}`);
    }
    if (this.error) parts.push(`error: ${this.error}`);
    this.#logger.log(level, parts.join(" "));
  }
}
