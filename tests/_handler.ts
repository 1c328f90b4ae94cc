/**
 * Helpers for tests that drive the handler in-process with a fake upstream fetch.
 * @module
 */
import assert from "node:assert/strict";
import type { Config } from "../lib/config.ts";
import { loadConfig } from "../lib/config.ts";
import { createHandler, type HandlerDeps } from "../lib/handler.ts";
import type { Logger } from "../lib/log.ts";
import { fakeFetch } from "./_helpers.ts";

export function config(args: string[] = [], env: Record<string, string> = {}): Config {
  // No retries here: tests/reliability_test.ts covers them.
  const result = loadConfig(
    ["--base-url", "http://upstream.test/v1", "--retries", "0", ...args],
    env,
  );
  assert.equal(result.action, "serve");
  return (result as { config: Config }).config;
}

export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, enabled: () => true, log: (level, message) => lines.push(`${level} ${message}`) };
}

export function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`http://proxy.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const basic = {
  model: "claude-sonnet-4-5",
  max_tokens: 100,
  messages: [{ role: "user", content: "Hi" }],
};

export const completion = (content: string) =>
  Response.json({
    id: "c",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  });

export function handlerWith(
  respond: (request: Request) => Response | Promise<Response>,
  cfg = config(),
  deps: HandlerDeps = {},
) {
  const fake = fakeFetch(respond);
  const logger = recordingLogger();
  const handler = createHandler(cfg, { fetch: fake.fetch, logger, ...deps });
  return { handler, requests: fake.requests, logger };
}

export async function errorOf(response: Response) {
  const body = await response.json();
  assert.equal(body.type, "error");
  assert.match(body.request_id, /^req_/);
  return body.error as { type: string; message: string };
}
