/**
 * A levelled logger writing one line per entry to stderr. The only lib module that prints.
 * Secrets are redacted before anything is written.
 * @module
 */
import type { LogLevel } from "./config.ts";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** The logging surface the handler uses; tests pass a recording one. */
export interface Logger {
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string): void;
}

/** Replaces every secret (configured keys, the client's key) and key-shaped value in text. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out
    .replace(/("(?:api[_-]?key|authorization|x-api-key|token)"\s*:\s*")[^"]*"/gi, '$1[redacted]"')
    .replace(/\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, "$1[redacted]")
    .replace(/\bsk-[A-Za-z0-9_-]{8,}/g, "sk-[redacted]");
}

/** A logger writing to stderr at or above `level`, redacting `secrets`. */
export function createLogger(level: LogLevel, secrets: readonly (string | undefined)[]): Logger {
  return {
    enabled: (at) => RANK[at] <= RANK[level],
    log(at, message) {
      if (RANK[at] > RANK[level]) return;
      // deno-lint-ignore no-console
      console.error(`${new Date().toISOString()} ${at.toUpperCase()} ${redact(message, secrets)}`);
    },
  };
}
