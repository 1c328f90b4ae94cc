/**
 * The runtime-portable handler: `(Request) => Promise<Response>`, built from a config object.
 * Routing, CORS, request ids, the per-request log line, and the one place where an error
 * becomes Anthropic's error envelope.
 * @module
 */
import { anthropicErrorBody } from "./anthropic/errors.ts";
import type { Config } from "./config.ts";
import { ProxyError } from "./errors.ts";
import { createLogger, type Logger } from "./log.ts";
import { RequestLog } from "./request_log.ts";
import { type Context, jsonResponse } from "./routes/context.ts";
import { countTokensRoute } from "./routes/count_tokens.ts";
import { messagesRoute } from "./routes/messages.ts";
import { modelsRoute } from "./routes/models.ts";
import { DEFAULT_TIMING, type StreamTiming } from "./stream_response.ts";
import { TokenCounter } from "./tokens.ts";
import { randomId } from "./translate/tool_names.ts";
import type { Fetch } from "./upstream.ts";

/** Injected dependencies; everything has a production default. */
export interface HandlerDeps {
  fetch?: Fetch;
  logger?: Logger;
  timing?: Partial<StreamTiming>;
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers":
    "authorization, content-type, x-api-key, anthropic-version, anthropic-beta, x-stainless-*",
  "access-control-max-age": "86400",
};

/** Builds the handler. State (token cache) lives in the returned closure, never in modules. */
export function createHandler(
  config: Config,
  deps: HandlerDeps = {},
): (request: Request) => Promise<Response> {
  const logger = deps.logger ??
    createLogger(config.logLevel, [
      config.backend.apiKey,
      ...Object.values(config.tiers).map((tier) => tier.apiKey),
    ]);
  const shared = {
    config,
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    logger,
    tokens: new TokenCounter(),
    timing: { ...DEFAULT_TIMING, ...deps.timing },
  } satisfies Omit<Context, "log">;

  return async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const requestId = `req_${randomId(24)}`;
    const log = new RequestLog(logger, request.method, url.pathname);
    const context: Context = { ...shared, log };
    let response: Response;
    try {
      response = await route(request, url.pathname, context);
    } catch (error) {
      response = errorResponse(error, requestId, logger);
      log.error = error instanceof Error ? error.message : String(error);
    }
    log.status = response.status;
    log.end();
    response.headers.set("request-id", requestId);
    response.headers.set("access-control-allow-origin", "*");
    return response;
  };
}

function route(request: Request, path: string, context: Context): Promise<Response> | Response {
  const method = request.method;
  if (method === "OPTIONS") return new Response(null, { status: 204, headers: CORS_HEADERS });
  if (method === "POST" && path === "/v1/messages") return messagesRoute(request, context);
  if (method === "POST" && path === "/v1/messages/count_tokens") {
    return countTokensRoute(request, context);
  }
  if (method === "GET" && path === "/v1/models") return modelsRoute(context.config);
  if (method === "GET" && (path === "/healthz" || path === "/")) {
    return jsonResponse({ status: "ok" });
  }
  throw new ProxyError(
    404,
    "not_found_error",
    `No route for ${method} ${path}; this proxy serves POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models and GET /healthz`,
  );
}

function errorResponse(error: unknown, requestId: string, logger: Logger): Response {
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
  const response = jsonResponse(anthropicErrorBody(problem, requestId), problem.status);
  for (const [name, value] of Object.entries(problem.headers)) response.headers.set(name, value);
  return response;
}
