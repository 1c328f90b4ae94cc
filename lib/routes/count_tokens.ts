/**
 * POST /v1/messages/count_tokens: counted locally over the translated request, no upstream call.
 * @module
 */
import { CountTokensRequest } from "../anthropic/schema.ts";
import { readJson, validate } from "../anthropic/validate.ts";
import type { Backend } from "../config.ts";
import { routeChain } from "../route_chain.ts";
import { anthropicRouteRequest } from "../routing.ts";
import { anthropicRequestToOpenAI } from "../translate/anthropic_request_to_openai.ts";
import { type Context, jsonResponse } from "./context.ts";

/** Answers `{"input_tokens": N}`. */
export async function countTokensRoute(
  request: Request,
  context: Context,
  dynamic?: Backend,
): Promise<Response> {
  const raw = await readJson(request, context.config.maxBodyBytes);
  const body = validate(CountTokensRequest, raw);
  // The first hop of the route the request would take: its model and switches shape the count.
  const [{ route }] = routeChain(
    context.config,
    body.model,
    () => anthropicRouteRequest(raw as Record<string, unknown>),
    dynamic,
  );
  context.log.model = body.model;
  context.log.upstreamModel = route.model;
  const translated = anthropicRequestToOpenAI({ ...body, max_tokens: 1 }, {
    model: route.model,
    ...route.options,
  });
  const inputTokens = await context.tokens.count(translated.value);
  context.log.inputTokens = inputTokens;
  return jsonResponse({ input_tokens: inputTokens });
}
