/**
 * The runtime-portable handler: `(Request) => Promise<Response>`, built from a config object.
 * Routing, CORS, request ids, the per-request log line, and the one place where an error
 * becomes Anthropic's error envelope.
 * @module
 */
import { anthropicErrorBody } from "./anthropic/errors.ts";
import type { Config } from "./config.ts";
import { ProxyError } from "./errors.ts";
import { createLogger, type Logger, redact } from "./log.ts";
import { dynamicPath } from "./model_map.ts";
import { RequestLog } from "./request_log.ts";
import { clientKey, type Context, jsonResponse } from "./routes/context.ts";
import { countTokensRoute } from "./routes/count_tokens.ts";
import { messagesRoute } from "./routes/messages.ts";
import { chatCompletionsRoute } from "./routes/chat_completions.ts";
import { asksOpenAIStyle } from "./dialect.ts";
import { openAIError } from "./openai/errors.ts";
import { modelsRoute } from "./routes/models.ts";
import { DEFAULT_TIMING, type StreamTiming } from "./stream_response.ts";
import { TokenCounter } from "./tokens.ts";
import { randomId } from "./translate/tool_names.ts";
import type { ConnectProbe, Fetch } from "./upstream.ts";

/** Injected dependencies; everything has a production default. */
export interface HandlerDeps {
  fetch?: Fetch;
  /** TCP connect check for --connect-timeout (fetch has none); main.ts passes one. */
  connectProbe?: ConnectProbe;
  logger?: Logger;
  timing?: Partial<StreamTiming>;
  /** Waits between retries; tests make it instant. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const CORS_ALLOW = {
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers":
    "authorization, content-type, x-api-key, anthropic-version, anthropic-beta, x-stainless-*",
  "access-control-max-age": "86400",
};

/** The keys a config holds, for redaction. */
export function configSecrets(config: Config): (string | undefined)[] {
  return [
    config.backend.apiKey,
    config.authToken,
    ...Object.values(config.tiers).map((tier) => tier.apiKey),
    ...Object.values(config.routing?.providers ?? {}).flatMap((provider) => [
      provider.apiKey,
      ...Object.values(provider.headers),
    ]),
  ];
}

/**
 * Builds the handler. State (token cache) lives in the returned closure, never in modules.
 * `config` may be a function returning the current config (main.ts swaps it on reload): each
 * request reads it once when it starts and keeps that config to its end.
 */
export function createHandler(
  configSource: Config | (() => Config),
  deps: HandlerDeps = {},
): (request: Request) => Promise<Response> {
  const current = typeof configSource === "function" ? configSource : () => configSource;
  const base = {
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    connectProbe: deps.connectProbe,
    tokens: new TokenCounter(),
    timing: { ...DEFAULT_TIMING, ...deps.timing },
    sleep: deps.sleep,
  } satisfies Omit<Context, "log" | "config" | "logger">;
  let cached: { config: Config; shared: Omit<Context, "log">; secrets: (string | undefined)[] };
  const sharedFor = (config: Config) => {
    if (cached?.config !== config) {
      const secrets = configSecrets(config);
      const logger = deps.logger ?? createLogger(config.logLevel, secrets);
      // --ping-interval, unless the caller (a test) set the timing itself.
      const timing = config.pingIntervalMs && deps.timing?.pingMs === undefined
        ? { ...base.timing, pingMs: config.pingIntervalMs }
        : base.timing;
      cached = { config, shared: { ...base, timing, config, logger }, secrets };
    }
    return cached;
  };

  return async function handle(request: Request): Promise<Response> {
    const { config, shared, secrets } = sharedFor(current());
    const { logger } = shared;
    const url = new URL(request.url);
    const requestId = `req_${randomId(24)}`;
    const log = new RequestLog(logger, request.method, url.pathname);
    const context: Context = { ...shared, log };
    let response: Response;
    try {
      authorize(request, url.pathname, config.authToken);
      response = await route(request, url.pathname, context);
    } catch (error) {
      // The client's own key may be quoted back by a backend: redact it too.
      const dialect = openAIPath(url.pathname) ? "openai" : "anthropic";
      response = errorResponse(error, requestId, logger, [...secrets, clientKey(request)], dialect);
      log.error = error instanceof Error ? error.message : String(error);
    }
    log.status = response.status;
    log.end();
    response.headers.set("request-id", requestId);
    if (config.corsOrigin) {
      response.headers.set("access-control-allow-origin", config.corsOrigin);
      if (config.corsOrigin !== "*") response.headers.append("vary", "origin");
      if (request.method === "OPTIONS") {
        for (const [name, value] of Object.entries(CORS_ALLOW)) response.headers.set(name, value);
      }
    }
    return response;
  };
}

function route(request: Request, path: string, context: Context): Promise<Response> | Response {
  const method = request.method;
  if (method === "OPTIONS") return new Response(null, { status: 204 });
  if (method === "POST" && path === "/v1/messages") return messagesRoute(request, context);
  if (method === "POST" && path === "/v1/messages/count_tokens") {
    return countTokensRoute(request, context);
  }
  if (method === "POST" && path === "/v1/chat/completions") {
    return chatCompletionsRoute(request, context);
  }
  if (method === "GET" && path === "/v1/models") {
    return modelsRoute(context.config, asksOpenAIStyle(request) ? "openai" : "anthropic");
  }
  const dynamic = method === "POST" ? dynamicPath(context.config, path) : undefined;
  if (dynamic?.endpoint === "messages") return messagesRoute(request, context, dynamic.backend);
  if (dynamic) return countTokensRoute(request, context, dynamic.backend);
  if (method === "GET" && (path === "/healthz" || path === "/")) {
    return jsonResponse({ status: "ok" });
  }
  throw new ProxyError(
    404,
    "not_found_error",
    `No route for ${method} ${path}; this proxy serves POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/chat/completions, GET /v1/models and GET /healthz`,
  );
}

/**
 * With --auth-token, every route but the health check needs the token (x-api-key or Bearer),
 * compared in constant time.
 */
function authorize(request: Request, path: string, token: string | undefined): void {
  if (!token || request.method === "OPTIONS" || path === "/healthz") return;
  const presented = clientKey(request);
  if (presented === undefined || !constantTimeEqual(presented, token)) {
    throw new ProxyError(
      401,
      "authentication_error",
      presented === undefined
        ? "This proxy requires its auth token: send it as x-api-key or Authorization: Bearer"
        : "The auth token sent does not match this proxy's --auth-token",
    );
  }
}

/**
 * Requests whose errors are rendered in OpenAI's dialect. GET /v1/models keeps Anthropic's
 * envelope for its (auth) errors: both SDKs read a status and a message from it.
 */
function openAIPath(path: string): boolean {
  return path === "/v1/chat/completions";
}

/** Compares two strings without an early exit, so timing does not reveal the matching prefix. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let difference = left.length ^ right.length;
  for (let i = 0; i < right.length; i++) {
    difference |= (left[i % (left.length || 1)] ?? 0) ^ right[i];
  }
  return difference === 0;
}

function errorResponse(
  error: unknown,
  requestId: string,
  logger: Logger,
  secrets: (string | undefined)[],
  dialect: "openai" | "anthropic" = "anthropic",
): Response {
  let problem: ProxyError;
  if (error instanceof ProxyError) problem = error;
  else {
    // A bug of ours: log it (no stack to the client), answer with a generic api_error.
    logger.log(
      "error",
      `unexpected error: ${error instanceof Error ? error.stack : String(error)}`,
    );
    problem = new ProxyError(500, "api_error", "Internal proxy error; see the proxy's log");
  }
  let response: Response;
  if (dialect === "openai") {
    const { status, body } = openAIError(problem);
    body.error.message = redact(body.error.message, secrets);
    response = jsonResponse(body, status);
  } else {
    const body = anthropicErrorBody(problem, requestId);
    body.error.message = redact(body.error.message, secrets);
    response = jsonResponse(body, problem.status);
  }
  for (const [name, value] of Object.entries(problem.headers)) response.headers.set(name, value);
  return response;
}
