/**
 * POST /v1/messages: validate → translate → upstream → translate back. Composition only; the
 * translation logic lives in lib/translate.
 * @module
 */
import {
  commonMessagesRequest,
  type MessageResponse,
  MessagesRequest,
  type StreamEvent,
} from "../anthropic/schema.ts";
import { readJsonText, validate } from "../anthropic/validate.ts";
import type { Backend } from "../config.ts";
import { ProxyError } from "../errors.ts";
import { chatCompletionsUrl } from "../model_map.ts";
import { type Hop, postHop, routeChain, withFallback } from "../route_chain.ts";
import { anthropicRouteRequest } from "../routing.ts";
import { ChatCompletion } from "../openai/schema.ts";
import { encodeEvent, encodeEvents } from "../sse_encoder.ts";
import { estimateTokens } from "../tokens.ts";
import {
  anthropicRequestToOpenAI,
  thinkingRequested,
} from "../translate/anthropic_request_to_openai.ts";
import { openAIResponseToAnthropic } from "../translate/openai_response_to_anthropic.ts";
import { messageToEvents } from "../translate/message_to_events.ts";
import { StreamTranslator, VARYING_FIELDS } from "../translate/openai_stream_to_anthropic.ts";
import { randomId } from "../translate/tool_names.ts";
import {
  type Context,
  jsonResponse,
  SSE_HEADERS,
  streamRoute,
  upstreamJson,
  upstreamKey,
} from "./context.ts";
import { messagesUrl } from "../dialect.ts";
import { anthropicHeaders, passThrough } from "./passthrough.ts";

const PING = encodeEvent({ type: "ping" });

/** Handles one Messages request. */
export async function messagesRoute(
  request: Request,
  context: Context,
  dynamic?: Backend,
): Promise<Response> {
  const { log } = context;
  const { text, value: raw } = await readJsonText(request, context.config.maxBodyBytes);
  // The common request skips zod's copy of every block; anything else goes through zod.
  const body = commonMessagesRequest(raw) ?? validate(MessagesRequest, raw);
  const hops = routeChain(
    context.config,
    body.model,
    () => anthropicRouteRequest(raw as Record<string, unknown>),
    dynamic,
  );
  log.model = body.model;
  log.stream = body.stream === true;
  return await withFallback(
    hops,
    context,
    (hop) => answer(request, context, hop, body, raw, text, dynamic),
  );
}

async function answer(
  request: Request,
  context: Context,
  hop: Hop,
  body: MessagesRequest,
  raw: unknown,
  text: string,
  dynamic: Backend | undefined,
): Promise<Response> {
  const { log, logger } = context;
  const { route, config } = hop;
  if (route.backend.type === "anthropic" && !dynamic) {
    // Same dialect: relay, with the model mapped and the key injected.
    return passThrough(request, context, hop, {
      url: messagesUrl(route.backend.baseUrl),
      apiKey: upstreamKey(route.backend, request, config.authToken),
      dialect: "anthropic",
      body: raw as Record<string, unknown>,
      text,
      model: route.model,
      headers: anthropicHeaders(request),
    });
  }

  // A dynamic backend never gets the configured key: that key belongs to the configured backend.
  const apiKey = dynamic
    ? request.headers.get("x-backend-api-key") ??
      upstreamKey({ ...dynamic }, request, config.authToken)
    : upstreamKey(route.backend, request, config.authToken);
  const id = `msg_${randomId(24)}`;
  if (body.max_tokens === 0) {
    // Anthropic answers max_tokens 0 (a cache pre-warm) without generating anything.
    const empty: MessageResponse = {
      id,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [],
      stop_reason: "max_tokens",
      stop_sequence: null,
      usage: {
        input_tokens: 0,
        output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    };
    return body.stream
      ? new Response(encodeEvents(messageToEvents(empty)), { headers: SSE_HEADERS })
      : jsonResponse(empty);
  }

  const translated = anthropicRequestToOpenAI(body, {
    model: route.model,
    maxTokensCap: config.maxTokensCap,
    ...route.options,
  });
  for (const warning of new Set(translated.warnings)) logger.log("warn", warning);
  const upstreamBody = JSON.stringify(translated.value);
  if (logger.enabled("debug")) logger.log("debug", `upstream request: ${upstreamBody}`);

  const inputTokens = estimateTokens(translated.value);
  const upstream = await postHop(context, hop, {
    url: chatCompletionsUrl(route.backend.baseUrl),
    // Azure takes the key in its own header (route.apiKeyHeader) instead of Bearer.
    apiKey: route.apiKeyHeader ? undefined : apiKey,
    headers: route.apiKeyHeader && apiKey ? { [route.apiKeyHeader]: apiKey } : undefined,
    body: upstreamBody,
    signal: request.signal,
  });
  const response = upstream.response;
  const contentType = response.headers.get("content-type") ?? "";
  if (/text\/html/i.test(contentType)) {
    upstream.abort();
    upstream.settle();
    throw new ProxyError(
      502,
      "api_error",
      `Upstream ${route.label} answered with an HTML page instead of JSON; check --base-url (OpenAI-compatible URLs usually end in /v1)`,
    );
  }
  const shared = {
    id,
    model: body.model,
    thinking: thinkingRequested(body),
    toolNames: translated.toolNames,
    inputTokens,
    webSearch: translated.webSearch,
  };

  // Some gateways answer a streaming request with one JSON body: translate it whole.
  const isJson = /json/i.test(contentType);
  if (!body.stream || isJson) {
    const json = await upstreamJson(upstream);
    const completion = ChatCompletion.safeParse(json);
    if (!completion.success) {
      throw new ProxyError(
        502,
        "api_error",
        `Upstream ${route.label} answered with a body that is not a chat completion`,
      );
    }
    const message = openAIResponseToAnthropic(completion.data, shared);
    log.inputTokens = message.usage.input_tokens + message.usage.cache_read_input_tokens;
    log.outputTokens = message.usage.output_tokens;
    if (logger.enabled("debug")) logger.log("debug", `response: ${JSON.stringify(message)}`);
    if (!body.stream) return jsonResponse(message);
    return new Response(encodeEvents(messageToEvents(message)), { headers: SSE_HEADERS });
  }

  if (!response.body) {
    throw new ProxyError(502, "api_error", `Upstream ${route.label} answered without a body`);
  }
  const translator = new StreamTranslator({
    ...shared,
    backend: route.label,
    onWarning: (warning) => logger.log("warn", warning),
  });
  return streamRoute<StreamEvent>(context, upstream, response.body, translator, {
    backend: route.label,
    encode: encodeEvents,
    varying: VARYING_FIELDS,
    failure: (error) => ({ type: "error", error: { type: error.kind, message: error.message } }),
    ping: PING,
    observe(event) {
      if (event.type === "message_delta") {
        log.inputTokens = event.usage.input_tokens + event.usage.cache_read_input_tokens;
        log.outputTokens = event.usage.output_tokens;
      } else if (event.type === "error") {
        log.error = event.error.message;
      }
    },
  });
}
