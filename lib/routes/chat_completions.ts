/**
 * POST /v1/chat/completions: OpenAI clients. An anthropic backend gets the request translated
 * to the Messages API and the answer translated back; an openai backend gets it passed through.
 * Errors are rendered in OpenAI's envelope by the handler.
 * @module
 */
import { readJsonText, validate } from "../anthropic/validate.ts";
import { messagesUrl } from "../dialect.ts";
import { ProxyError } from "../errors.ts";
import { openAIError } from "../openai/errors.ts";
import { ChatCompletionsRequest } from "../openai/request_schema.ts";
import { chatCompletionsUrl } from "../model_map.ts";
import { type Hop, postHop, routeChain, withFallback } from "../route_chain.ts";
import { openAIRouteRequest } from "../routing.ts";
import { anthropicResponseToOpenAI } from "../translate/anthropic_response_to_openai.ts";
import {
  AnthropicStreamTranslator,
  encodeOpenAIItems,
  type OpenAIStreamItem,
  VARYING_FIELDS,
} from "../translate/anthropic_stream_to_openai.ts";
import { openAIRequestToAnthropic } from "../translate/openai_request_to_anthropic.ts";
import { randomId } from "../translate/tool_names.ts";
import {
  type Context,
  jsonResponse,
  SSE_HEADERS,
  streamRoute,
  upstreamJson,
  upstreamKey,
} from "./context.ts";
import { anthropicHeaders, passThrough } from "./passthrough.ts";

// An SSE comment: OpenAI SDKs skip it; no `id:` field (openai-python mis-dispatches after one).
const PING = new TextEncoder().encode(": ping\n\n");

/** Handles one chat-completions request. */
export async function chatCompletionsRoute(request: Request, context: Context): Promise<Response> {
  const { log } = context;
  const { text, value: raw } = await readJsonText(request, context.config.maxBodyBytes);
  const body = validate(ChatCompletionsRequest, raw);
  const hops = routeChain(
    context.config,
    body.model,
    () => openAIRouteRequest(raw as Record<string, unknown>),
  );
  log.model = body.model;
  log.stream = body.stream === true;
  return await withFallback(
    hops,
    context,
    (hop) => answer(request, context, hop, body, raw, text),
  );
}

async function answer(
  request: Request,
  context: Context,
  hop: Hop,
  body: ChatCompletionsRequest,
  raw: unknown,
  text: string,
): Promise<Response> {
  const { log, logger } = context;
  const { route, config } = hop;
  const apiKey = upstreamKey(route.backend, request, config.authToken);

  if (route.backend.type !== "anthropic") {
    return passThrough(request, context, hop, {
      url: chatCompletionsUrl(route.backend.baseUrl),
      apiKey,
      dialect: "openai",
      body: raw as Record<string, unknown>,
      text,
      model: route.model,
    });
  }

  const translated = openAIRequestToAnthropic(body, {
    model: route.model,
    maxTokensCap: config.maxTokensCap,
  });
  const upstreamBody = JSON.stringify(translated.value);
  if (logger.enabled("debug")) logger.log("debug", `upstream request: ${upstreamBody}`);
  const upstream = await postHop(context, hop, {
    url: messagesUrl(route.backend.baseUrl),
    apiKey,
    body: upstreamBody,
    signal: request.signal,
    dialect: "anthropic",
    headers: anthropicHeaders(request),
  });
  const response = upstream.response;
  const contentType = response.headers.get("content-type") ?? "";
  const shared = {
    id: `chatcmpl-${randomId(24)}`,
    model: body.model,
    created: Math.floor(Date.now() / 1000),
    jsonTool: translated.jsonTool,
  };

  if (!body.stream || /json/i.test(contentType)) {
    const json = await upstreamJson(upstream) as
      | Parameters<typeof anthropicResponseToOpenAI>[0]
      | undefined;
    if (!json || typeof json !== "object" || !Array.isArray(json.content)) {
      throw new ProxyError(
        502,
        "api_error",
        `Upstream ${route.label} answered with a body that is not a Messages response`,
      );
    }
    const completion = anthropicResponseToOpenAI(json, shared);
    const usage = completion.usage as { prompt_tokens: number; completion_tokens: number };
    log.inputTokens = usage.prompt_tokens;
    log.outputTokens = usage.completion_tokens;
    if (!body.stream) return jsonResponse(completion);
    return new Response(encodeOpenAIItems(completionChunks(completion, translated.includeUsage)), {
      headers: SSE_HEADERS,
    });
  }

  if (!response.body) {
    upstream.settle();
    throw new ProxyError(502, "api_error", `Upstream ${route.label} answered without a body`);
  }
  const translator = new AnthropicStreamTranslator({
    ...shared,
    includeUsage: translated.includeUsage,
    backend: route.label,
  });
  return streamRoute<OpenAIStreamItem>(context, upstream, response.body, translator, {
    backend: route.label,
    encode: encodeOpenAIItems,
    varying: VARYING_FIELDS,
    failure: (error) => openAIError(error).body as unknown as Record<string, unknown>,
    ping: PING,
    observe(item) {
      if (typeof item === "object" && "error" in item) {
        log.error = (item.error as { message: string }).message;
      }
    },
    finished() {
      const usage = translator.usage;
      log.inputTokens = (usage.input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0) +
        (usage.cache_creation_input_tokens ?? 0);
      log.outputTokens = usage.output_tokens ?? undefined;
    },
  });
}

/** A whole completion as stream chunks (a backend that answered a stream request with JSON). */
function completionChunks(
  completion: Record<string, unknown>,
  includeUsage: boolean,
): OpenAIStreamItem[] {
  const { choices, usage, ...base } = completion as {
    choices: { message: Record<string, unknown>; finish_reason: string }[];
    usage: unknown;
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    ...base,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const message = choices[0].message;
  const items: OpenAIStreamItem[] = [chunk({ role: "assistant", content: "" })];
  if (message.reasoning_content) {
    items.push(chunk({ reasoning_content: message.reasoning_content }));
  }
  if (message.content) items.push(chunk({ content: message.content }));
  const calls = (message.tool_calls ?? []) as Record<string, unknown>[];
  if (calls.length) {
    items.push(chunk({ tool_calls: calls.map((call, index) => ({ index, ...call })) }));
  }
  items.push(chunk({}, choices[0].finish_reason));
  if (includeUsage) items.push({ ...base, object: "chat.completion.chunk", choices: [], usage });
  items.push("[DONE]");
  return items;
}
