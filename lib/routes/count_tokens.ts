/**
 * POST /v1/messages/count_tokens. An anthropic backend counts for itself (the request goes to its
 * own count_tokens with the model mapped); anything else, or an anthropic backend that cannot
 * (a gateway without the endpoint, an error), is counted locally over the translated request.
 * @module
 */
import { CountTokensRequest } from "../anthropic/schema.ts";
import { readJson, validate } from "../anthropic/validate.ts";
import type { Backend } from "../config.ts";
import { countTokensUrl } from "../dialect.ts";
import { ProxyError } from "../errors.ts";
import { type Hop, postHop, routeChain } from "../route_chain.ts";
import { anthropicRouteRequest } from "../routing.ts";
import { anthropicRequestToOpenAI } from "../translate/anthropic_request_to_openai.ts";
import { type Context, jsonResponse, upstreamJson, upstreamKey } from "./context.ts";
import { anthropicHeaders } from "./passthrough.ts";

/** Answers `{"input_tokens": N}`. */
export async function countTokensRoute(
  request: Request,
  context: Context,
  dynamic?: Backend,
): Promise<Response> {
  const raw = await readJson(request, context.config.maxBodyBytes);
  const body = validate(CountTokensRequest, raw);
  // The first hop of the route the request would take: its model and switches shape the count.
  const [hop] = routeChain(
    context.config,
    body.model,
    () => anthropicRouteRequest(raw as Record<string, unknown>),
    dynamic,
  );
  const { route } = hop;
  context.log.model = body.model;
  context.log.upstreamModel = route.model;
  const counted = route.backend.type === "anthropic" && !dynamic
    ? await backendCount(request, context, hop, raw as Record<string, unknown>)
    : undefined;
  const inputTokens = counted ?? await context.tokens.count(
    anthropicRequestToOpenAI({ ...body, max_tokens: 1 }, {
      model: route.model,
      ...route.options,
    }).value,
  );
  context.log.inputTokens = inputTokens;
  return jsonResponse({ input_tokens: inputTokens });
}

/** The anthropic backend's own count, or undefined (with a warning) when it gives none. */
async function backendCount(
  request: Request,
  context: Context,
  hop: Hop,
  raw: Record<string, unknown>,
): Promise<number | undefined> {
  const { route, config } = hop;
  try {
    const upstream = await postHop(context, hop, {
      url: countTokensUrl(route.backend.baseUrl),
      apiKey: upstreamKey(route.backend, request, config.authToken),
      body: JSON.stringify({ ...raw, model: route.model }),
      signal: request.signal,
      dialect: "anthropic",
      headers: anthropicHeaders(request),
    });
    const json = await upstreamJson(upstream) as { input_tokens?: unknown } | undefined;
    if (typeof json?.input_tokens === "number") return json.input_tokens;
    context.logger.log(
      "warn",
      `count_tokens: ${route.label} answered without input_tokens; counted locally`,
    );
  } catch (error) {
    // The client left: there is nobody to answer.
    if (error instanceof ProxyError && error.status === 499) throw error;
    context.logger.log(
      "warn",
      `count_tokens: ${route.label} could not count (${
        error instanceof Error ? error.message : String(error)
      }); counted locally`,
    );
  }
  return undefined;
}
