/**
 * Requested model → backend, upstream model and what that backend accepts.
 * @module
 */
import type { Backend, Config, Tier } from "./config.ts";
import { ProxyError } from "./errors.ts";
import { inferProvider, PRESETS, type Provider, providerOf } from "./providers.ts";
import type { ReasoningHistory, RequestOptions } from "./translate/anthropic_request_to_openai.ts";

/** Where one request goes. */
export interface Route {
  tier: Tier | undefined;
  backend: Backend;
  /** The upstream model name. */
  model: string;
  /** The backend named in messages and logs: its URL without credentials or query. */
  label: string;
  /** Translation switches for this backend and model. */
  options: Omit<RequestOptions, "model" | "maxTokensCap">;
  /** The provider preset in effect (named with --provider or inferred from the host). */
  provider: Provider;
  /** Header that carries the key instead of `Authorization: Bearer` (Azure: `api-key`). */
  apiKeyHeader?: string;
}

// Backends that want past reasoning back (DeepSeek, Kimi/Moonshot, GLM/Zhipu), by host or model.
const REASONING_HISTORY_HOST =
  /(^|\.)(api\.deepseek\.com|api\.moonshot\.(ai|cn)|open\.bigmodel\.cn|api\.z\.ai)$/;
const REASONING_HISTORY_MODEL = /deepseek|kimi|moonshot|glm/i;
// DeepSeek R1 (and its distills) 400 on reasoning from before the last user message.
const R1_MODEL = /(^|[/_:-])(deepseek-)?r1([/_:.-]|$)/i;
// OpenAI reasoning models take max_completion_tokens and reject sampling parameters.
const OPENAI_REASONING_MODEL = /(^|\/)(o\d|gpt-5)/i;
// OpenAI models that take web_search_options in chat completions.
const OPENAI_SEARCH_MODEL = /search/i;
// Models known to take reasoning_effort; other backends may answer it with a 400.
const REASONING_EFFORT_MODEL = /(^|\/)(o\d|gpt-5|gpt-oss|gemini-(2\.5|[3-9]))/i;

/** The tier a requested model belongs to, by name (so new Claude model ids keep working). */
export function tierOf(model: string): Tier | undefined {
  const name = model.toLowerCase();
  if (name.includes("haiku")) return "haiku";
  if (name.includes("sonnet")) return "sonnet";
  if (name.includes("opus")) return "opus";
  return undefined;
}

/** Resolves the route for a requested model (or the backend a dynamic path named). */
export function resolveRoute(config: Config, requestedModel: string, dynamic?: Backend): Route {
  const tier = dynamic ? undefined : tierOf(requestedModel);
  const backend = dynamic ?? (tier ? config.tiers[tier] : config.backend);
  const model = backend.model ?? requestedModel;
  const url = baseUrlParts(backend.baseUrl);
  const provider = dynamic
    ? inferProvider(backend.baseUrl)
    : providerOf(config.provider, config.backend.baseUrl, backend.baseUrl);
  const preset = PRESETS[provider];
  const auto = (setting: "auto" | "on" | "off" | undefined, guess: boolean) =>
    !setting || setting === "auto" ? guess : setting === "on";
  const byModel = (value: boolean | "model", test: RegExp) =>
    value === "model" ? test.test(model) : value;
  const reasoningModel = OPENAI_REASONING_MODEL.test(model);
  const route: Route = {
    tier,
    backend,
    model,
    label: url.label,
    provider,
    options: {
      cleanSchemas: auto(config.cleanSchemas, preset.cleanSchemas),
      reasoningEffort: auto(
        config.reasoningEffort,
        byModel(preset.reasoningEffort, REASONING_EFFORT_MODEL),
      ),
      reasoningModel,
      acceptsPdf: auto(config.pdfFiles, preset.acceptsPdf),
      sendUser: auto(config.sendUser, preset.sendUser),
      reasoningHistory: reasoningHistory(config, preset.reasoningHistory, url.hostname, model),
      thoughtSignatures: auto(config.thoughtSignatures, preset.thoughtSignatures),
      // OpenAI's chat completions search only with its search models (gpt-4o-search-preview…).
      webSearch: preset.webSearch === "openai" && !OPENAI_SEARCH_MODEL.test(model)
        ? "none"
        : preset.webSearch,
    },
  };
  const maxCompletionTokens = auto(
    config.maxCompletionTokens,
    byModel(preset.maxCompletionTokens, OPENAI_REASONING_MODEL),
  );
  if (maxCompletionTokens !== reasoningModel) {
    route.options.maxCompletionTokens = maxCompletionTokens;
  }
  if (preset.apiKeyHeader) route.apiKeyHeader = preset.apiKeyHeader;
  return route;
}

/**
 * Whether and how past reasoning goes back: DeepSeek R1 models only after the last user message,
 * every other model that wants it (DeepSeek V3.1+/V4, Kimi, GLM) on every assistant message.
 */
function reasoningHistory(
  config: Config,
  preset: ReasoningHistory | "model",
  host: string,
  model: string,
): ReasoningHistory {
  const style = R1_MODEL.test(model) ? "after-last-user" : "all";
  const setting = config.reasoningHistory ?? "auto";
  if (setting !== "auto") return setting;
  if (preset !== "model") return preset === "off" ? "off" : style;
  return REASONING_HISTORY_HOST.test(host) || REASONING_HISTORY_MODEL.test(model) ? style : "off";
}

/**
 * A per-string cache of a pure function of a base URL, so that a request does not parse the
 * same URL again (base URLs come from the config: few; cleared if dynamic routes make many).
 */
function memoByString<T>(compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      if (cache.size >= 256) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

/** What a route needs of its base URL: the label (no credentials or query) and the host. */
const baseUrlParts = memoByString((baseUrl) => {
  const url = new URL(baseUrl);
  return {
    label: `${url.origin}${url.pathname}`.replace(/\/+$/, ""),
    hostname: url.hostname,
  };
});

/**
 * The chat-completions endpoint of a base URL (a full endpoint URL is kept as it is). A query
 * (Azure's `?api-version=`) stays at the end.
 */
export const chatCompletionsUrl: (baseUrl: string) => string = memoByString((baseUrl) => {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "");
  if (!/\/chat\/completions$/.test(path)) url.pathname = `${path}/chat/completions`;
  return url.href;
});

const DYNAMIC_PATH = /^\/(https?)\/([^/]+)\/((?:[^/]+\/)*)([^/]+)\/v1\/messages(\/count_tokens)?$/;

/** A request path that names its own backend, as the original Worker took them. */
export interface DynamicPath {
  backend: Backend;
  endpoint: "messages" | "count_tokens";
}

/**
 * Parses `/<scheme>/<host>/<path…>/<model>/v1/messages` (and `/count_tokens`). Only hosts on the
 * --allow-dynamic-routing list may be reached: anything else would make the proxy an open relay
 * (and a way into loopback or private addresses). Returns undefined for other paths.
 */
export function dynamicPath(config: Config, path: string): DynamicPath | undefined {
  const match = DYNAMIC_PATH.exec(path);
  if (!match || !config.dynamicRouting) return undefined;
  const [, scheme, host, basePath, model, countTokens] = match;
  let url: URL;
  try {
    url = new URL(`${scheme}://${host}/${basePath}`);
  } catch {
    throw new ProxyError(400, "invalid_request_error", `Invalid backend host in path: ${host}`);
  }
  if (!config.dynamicRouting.includes(url.hostname.toLowerCase())) {
    throw new ProxyError(
      403,
      "permission_error",
      `Backend host ${url.hostname} is not allowed; the proxy's --allow-dynamic-routing list names the hosts it may reach`,
    );
  }
  return {
    backend: {
      baseUrl: url.href.replace(/\/+$/, ""),
      model: decodeURIComponent(model),
    },
    endpoint: countTokens ? "count_tokens" : "messages",
  };
}
