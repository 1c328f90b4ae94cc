/**
 * Cloudflare Workers entry: `export default { fetch(request, env, ctx) }`. The configuration is
 * built from the Worker's bindings (plain-text variables and secrets, named like the environment
 * variables in the README's table) once per isolate, memoized in a WeakMap keyed on `env`, and
 * requests go to the same handler `main.ts` serves. Web APIs only: no filesystem, no process.
 *
 * A Worker listens on nobody's loopback, so `HOST` and `PORT` are ignored, and the public-endpoint
 * rule is enforced here instead: without `PROXY_AUTH_TOKEN` (or `ALLOW_UNAUTHENTICATED=true`) every
 * request gets a 500 in Anthropic's error envelope saying what to set. `deploy.ts` (Deno Deploy)
 * uses the same functions with `Deno.env`.
 * @module
 */
import { anthropicErrorBody } from "./anthropic/errors.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { ProxyError } from "./errors.ts";
import { createHandler, type HandlerDeps } from "./handler.ts";
import { randomId } from "./translate/tool_names.ts";

/** A Worker's `env`: text bindings and secrets are strings; other binding kinds are ignored. */
export type WorkerEnv = Record<string, unknown>;

/** The handler the platform entries call. */
export type Handler = (request: Request) => Promise<Response>;

/** Bindings that only mean something to a process that listens on a socket. */
const LISTENER_ONLY = new Set(["HOST", "PORT", "SHUTDOWN_TIMEOUT"]);

/**
 * Builds the configuration for a hosted (public) deployment from env-like bindings. Throws
 * ConfigError for bad values, and when neither PROXY_AUTH_TOKEN nor ALLOW_UNAUTHENTICATED=true
 * is set: a hosted endpoint is reachable by anyone, who would spend the backend key.
 */
export function hostedConfig(env: WorkerEnv): Config {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "string" && !LISTENER_ONLY.has(name)) strings[name] = value;
  }
  // No host is passed: loadConfig's default (loopback) applies, so its listen-address check,
  // which is about sockets, does not fire; the equivalent rule for a public endpoint follows.
  const result = loadConfig([], strings);
  if (result.action !== "serve") throw new ConfigError("unexpected configuration action");
  const config = result.config;
  if (!config.authToken && !config.allowUnauthenticated) {
    throw new ConfigError(
      "this public deployment has no PROXY_AUTH_TOKEN: anyone who finds its URL could use your backend; set the PROXY_AUTH_TOKEN secret (clients send it as x-api-key or Authorization: Bearer), or set ALLOW_UNAUTHENTICATED=true",
    );
  }
  return config;
}

/** A configuration problem as Anthropic's error envelope (500, api_error), never an exception. */
export function configErrorResponse(error: unknown): Response {
  const message = error instanceof ConfigError
    ? `claude-proxy is misconfigured: ${error.message}`
    : "claude-proxy could not start; see the deployment's log";
  const requestId = `req_${randomId(24)}`;
  const body = anthropicErrorBody(new ProxyError(500, "api_error", message), requestId);
  return new Response(JSON.stringify(body), {
    status: 500,
    headers: { "content-type": "application/json", "request-id": requestId },
  });
}

type Built = { handler: Handler } | { error: unknown };

/** Builds the handler for `env`, or remembers why it cannot be built. */
export function buildHosted(env: WorkerEnv, deps: HandlerDeps = {}): Built {
  try {
    return { handler: createHandler(hostedConfig(env), deps) };
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      // deno-lint-ignore no-console
      console.error(`claude-proxy: building the handler failed: ${String(error)}`);
    }
    return { error };
  }
}

/** Serves a request with a built (or failed) handler: a config error becomes a 500 envelope. */
export function serveBuilt(built: Built, request: Request): Promise<Response> {
  if ("error" in built) return Promise.resolve(configErrorResponse(built.error));
  return built.handler(request);
}

// One handler per isolate and env object: the token-count cache lives in it.
const handlers = new WeakMap<object, Built>();

/** The handler for a Worker's `env`, built on first use. */
export function workerHandler(env: WorkerEnv): Built {
  let built = handlers.get(env);
  if (!built) {
    built = buildHosted(env);
    handlers.set(env, built);
  }
  return built;
}

/** The Workers module: `fetch(request, env, ctx)`; `ctx` is not needed (no work after the response). */
export default {
  fetch(request: Request, env: WorkerEnv, _ctx?: unknown): Promise<Response> {
    return serveBuilt(workerHandler(env ?? {}), request);
  },
};
