/**
 * Requested model → backend, upstream model and what that backend accepts.
 * @module
 */
import type { Backend, Config, Tier } from "./config.ts";
import { ProxyError } from "./errors.ts";
import type { RequestOptions } from "./translate/anthropic_request_to_openai.ts";

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
}

const GEMINI_HOST = /(^|\.)generativelanguage\.googleapis\.com$/;
const PDF_HOSTS = /(^|\.)(api\.openai\.com|openrouter\.ai)$/;
// OpenAI reasoning models take max_completion_tokens and reject sampling parameters.
const OPENAI_REASONING_MODEL = /(^|\/)(o\d|gpt-5)/i;
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
  const url = new URL(backend.baseUrl);
  const gemini = GEMINI_HOST.test(url.hostname);
  const auto = (setting: "auto" | "on" | "off", guess: boolean) =>
    setting === "auto" ? guess : setting === "on";
  return {
    tier,
    backend,
    model,
    label: `${url.origin}${url.pathname}`.replace(/\/+$/, ""),
    options: {
      cleanSchemas: auto(config.cleanSchemas, gemini),
      reasoningEffort: auto(config.reasoningEffort, REASONING_EFFORT_MODEL.test(model)),
      reasoningModel: OPENAI_REASONING_MODEL.test(model),
      acceptsPdf: PDF_HOSTS.test(url.hostname),
      sendUser: !gemini,
    },
  };
}

/**
 * The chat-completions endpoint of a base URL (a full endpoint URL is kept as it is). A query
 * (Azure's `?api-version=`) stays at the end.
 */
export function chatCompletionsUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "");
  if (!/\/chat\/completions$/.test(path)) url.pathname = `${path}/chat/completions`;
  return url.href;
}

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
