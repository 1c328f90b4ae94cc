/**
 * Provider presets: the default base URL and the quirk switches of each backend family. A preset
 * is named with --provider, or inferred from the base URL's host; every switch it sets can still
 * be set on its own (--clean-schemas, --reasoning-effort, --reasoning-history…), which wins.
 * @module
 */
import type { ReasoningHistory } from "./translate/anthropic_request_to_openai.ts";
import type { WebSearchMode } from "./translate/web_search.ts";

/** The provider presets --provider accepts. */
export type Provider =
  | "openai"
  | "gemini"
  | "deepseek"
  | "openrouter"
  | "groq"
  | "ollama"
  | "lmstudio"
  | "vllm"
  | "azure"
  | "custom";

/**
 * What a preset decides. `"model"` leaves the decision to the upstream model's name (the rules in
 * model_map.ts), as with no preset at all.
 */
export interface Preset {
  /** Default base URL; undefined when there is none (Azure needs the deployment URL). */
  baseUrl?: string;
  /** One line for --help. */
  summary: string;
  cleanSchemas: boolean;
  reasoningEffort: boolean | "model";
  reasoningHistory: ReasoningHistory | "model";
  thoughtSignatures: boolean;
  sendUser: boolean;
  acceptsPdf: boolean;
  maxCompletionTokens: boolean | "model";
  /** The key goes in `api-key` (Azure), not `Authorization: Bearer`. */
  apiKeyHeader?: string;
  /** Query parameter every request needs (Azure's `api-version`). */
  apiVersion?: boolean;
  /**
   * The backend's own search for Anthropic's web search tool: `openai` (`web_search_options`,
   * only for OpenAI's search models, e.g. gpt-4o-search-preview), `openrouter` (the `web`
   * plugin, any model), `none` (dropped, and the answer says so).
   */
  webSearch: WebSearchMode;
}

/** Azure OpenAI's GA data-plane version, used when --azure-api-version is not given. */
export const AZURE_API_VERSION = "2024-10-21";

export const PRESETS: Readonly<Record<Provider, Preset>> = {
  openai: {
    baseUrl: "https://api.openai.com/v1",
    summary:
      "OpenAI: PDF files, user, reasoning_effort and max_completion_tokens for o*/gpt-5, web search with *search* models",
    cleanSchemas: false,
    reasoningEffort: "model",
    reasoningHistory: "off",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: true,
    maxCompletionTokens: "model",
    webSearch: "openai",
  },
  gemini: {
    baseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
    summary: "Gemini OpenAI endpoint: cleaned schemas, thought signatures, no user field",
    cleanSchemas: true,
    reasoningEffort: "model",
    reasoningHistory: "off",
    thoughtSignatures: true,
    sendUser: false,
    acceptsPdf: false,
    maxCompletionTokens: false,
    webSearch: "none",
  },
  deepseek: {
    baseUrl: "https://api.deepseek.com/v1",
    summary: "DeepSeek: reasoning_content sent back (R1 style for *-r1 models)",
    cleanSchemas: false,
    reasoningEffort: false,
    reasoningHistory: "model",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: false,
    maxCompletionTokens: false,
    webSearch: "none",
  },
  openrouter: {
    baseUrl: "https://openrouter.ai/api/v1",
    summary: "OpenRouter: PDF files, reasoning_effort by model, web search through the web plugin",
    cleanSchemas: false,
    reasoningEffort: "model",
    reasoningHistory: "off",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: true,
    maxCompletionTokens: false,
    webSearch: "openrouter",
  },
  groq: {
    baseUrl: "https://api.groq.com/openai/v1",
    summary: "Groq: reasoning_effort by model, no reasoning history (unknown fields are a 400)",
    cleanSchemas: false,
    reasoningEffort: "model",
    reasoningHistory: "off",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: false,
    maxCompletionTokens: false,
    webSearch: "none",
  },
  ollama: {
    baseUrl: "http://localhost:11434/v1",
    summary: "Ollama on this machine",
    cleanSchemas: false,
    reasoningEffort: "model",
    reasoningHistory: "model",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: false,
    maxCompletionTokens: false,
    webSearch: "none",
  },
  lmstudio: {
    baseUrl: "http://localhost:1234/v1",
    summary: "LM Studio on this machine",
    cleanSchemas: false,
    reasoningEffort: "model",
    reasoningHistory: "model",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: false,
    maxCompletionTokens: false,
    webSearch: "none",
  },
  vllm: {
    baseUrl: "http://localhost:8000/v1",
    summary: "vLLM (or SGLang) on this machine",
    cleanSchemas: false,
    reasoningEffort: "model",
    reasoningHistory: "model",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: false,
    maxCompletionTokens: false,
    webSearch: "none",
  },
  azure: {
    summary: "Azure OpenAI: --base-url is the deployment URL; api-key header, api-version query",
    cleanSchemas: false,
    reasoningEffort: "model",
    reasoningHistory: "off",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: true,
    maxCompletionTokens: "model",
    webSearch: "none",
    apiKeyHeader: "api-key",
    apiVersion: true,
  },
  custom: {
    summary: "any other OpenAI-compatible server: every switch decided by model name",
    cleanSchemas: false,
    reasoningEffort: "model",
    reasoningHistory: "model",
    thoughtSignatures: false,
    sendUser: true,
    acceptsPdf: false,
    maxCompletionTokens: "model",
    webSearch: "none",
  },
};

export const PROVIDERS = Object.keys(PRESETS) as Provider[];

const HOSTS: Array<[RegExp, Provider]> = [
  [/(^|\.)api\.openai\.com$/, "openai"],
  [/(^|\.)(generativelanguage|aiplatform)\.googleapis\.com$/, "gemini"],
  [/(^|\.)api\.deepseek\.com$/, "deepseek"],
  [/(^|\.)openrouter\.ai$/, "openrouter"],
  [/(^|\.)api\.groq\.com$/, "groq"],
  [/\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/, "azure"],
];
// Local servers are told apart by their default ports.
const LOCAL_PORTS: Record<string, Provider> = {
  "11434": "ollama",
  "1234": "lmstudio",
  "8000": "vllm",
};

/** The preset a base URL implies: by host, local servers by default port, else custom. */
export function inferProvider(baseUrl: string): Provider {
  let provider = inferred.get(baseUrl);
  if (provider === undefined) {
    provider = inferUncached(baseUrl);
    // Base URLs come from the config (few); dynamic routes could make many: bounded.
    if (inferred.size >= 256) inferred.clear();
    inferred.set(baseUrl, provider);
  }
  return provider;
}

const inferred = new Map<string, Provider>();

function inferUncached(baseUrl: string): Provider {
  const url = new URL(baseUrl);
  const host = url.hostname.toLowerCase();
  for (const [pattern, provider] of HOSTS) if (pattern.test(host)) return provider;
  const local = host === "localhost" || host === "[::1]" || /^127\./.test(host);
  if (local && LOCAL_PORTS[url.port]) return LOCAL_PORTS[url.port];
  return "custom";
}

/** Adds Azure's `api-version` query to a base URL that has none (the v1 API needs none). */
export function withApiVersion(baseUrl: string, version: string): string {
  const url = new URL(baseUrl);
  if (url.searchParams.has("api-version") || /\/openai\/v1\/?$/.test(url.pathname)) {
    return baseUrl;
  }
  url.searchParams.set("api-version", version);
  return url.href;
}

/** The --help lines listing the presets. */
export function presetHelp(): string[] {
  return PROVIDERS.map((name) => {
    const preset = PRESETS[name];
    const url = preset.baseUrl ? ` (${preset.baseUrl})` : "";
    return `  ${name.padEnd(12)} ${preset.summary}${url}`;
  });
}

/**
 * The preset of one backend: --provider for the main base URL (and tiers that share it), else
 * inferred from the backend's own host.
 */
export function providerOf(
  explicit: Provider | undefined,
  mainBaseUrl: string,
  baseUrl: string,
): Provider {
  return explicit && baseUrl === mainBaseUrl ? explicit : inferProvider(baseUrl);
}
