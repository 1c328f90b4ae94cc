/**
 * Route selection: a pure function from what a request asks for and the file's routes to a
 * fallback chain of `provider/model` targets.
 *
 * Order: a `provider/model` override in the requested model name; then scenarios —
 * `long_context`, `background`, `web_search`, `image`, `think`; then model routes (`haiku`,
 * `sonnet`, `opus` match names containing the word, anything else is a glob on the requested
 * name), in file order; then `default`. Nothing matched: the flag/env backends decide.
 * @module
 */
import type { Routing, Scenario, Target } from "./config_file.ts";
import { parseTarget } from "./config_file.ts";
import { tierOf } from "./model_map.ts";

/** What routing looks at in a request (either dialect). */
export interface RouteRequest {
  model: string;
  thinking: boolean;
  images: boolean;
  webSearch: boolean;
  /** A cheap estimate of the input tokens (see estimateInputTokens). */
  inputTokens: number;
}

/** The chosen chain and why (for logs). */
export interface Selection {
  targets: Target[];
  reason: string;
}

const SCENARIO_ORDER: readonly Scenario[] = [
  "long_context",
  "background",
  "web_search",
  "image",
  "think",
];

/** Picks the fallback chain for a request, or undefined when the file's routes do not apply. */
export function selectRoute(request: RouteRequest, routing: Routing): Selection | undefined {
  const override = parseTarget(request.model);
  if (override && routing.providers[override.provider]) {
    return { targets: [override], reason: "override" };
  }
  const { routes } = routing;
  for (const scenario of SCENARIO_ORDER) {
    const targets = routes.scenarios[scenario];
    if (targets && applies(scenario, request, routes.longContextThreshold)) {
      return { targets, reason: scenario };
    }
  }
  for (const { pattern, targets } of routes.models) {
    if (modelMatches(pattern, request.model)) return { targets, reason: pattern };
  }
  return routes.default ? { targets: routes.default, reason: "default" } : undefined;
}

function applies(scenario: Scenario, request: RouteRequest, threshold: number): boolean {
  switch (scenario) {
    case "long_context":
      return request.inputTokens > threshold;
    case "background":
      return tierOf(request.model) === "haiku";
    case "web_search":
      return request.webSearch;
    case "image":
      return request.images;
    case "think":
      return request.thinking;
  }
}

/** `haiku`/`sonnet`/`opus` match by tier; other patterns are globs (`*`, `?`), case-insensitive. */
export function modelMatches(pattern: string, model: string): boolean {
  if (pattern === "haiku" || pattern === "sonnet" || pattern === "opus") {
    return tierOf(model) === pattern;
  }
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(
    /\?/g,
    ".",
  );
  return new RegExp(`^${source}$`, "i").test(model);
}

/**
 * A cheap input-token estimate for routing: characters of text / 4, images at a flat 1,600
 * (no tokenizer on the hot path; count_tokens uses the real one).
 */
export function estimateInputTokens(body: unknown): number {
  let chars = 0;
  let images = 0;
  const walk = (value: unknown, depth: number): void => {
    if (depth > 64) return;
    if (typeof value === "string") chars += value.length;
    else if (Array.isArray(value)) { for (const item of value) walk(item, depth + 1); }
    else if (value && typeof value === "object") {
      const record = value as Record<string, unknown>;
      if (record.type === "image" || record.type === "image_url") {
        images++;
        return;
      }
      for (const item of Object.values(record)) walk(item, depth + 1);
    }
  };
  const record = (body ?? {}) as Record<string, unknown>;
  walk(record.system, 0);
  walk(record.messages, 0);
  walk(record.tools, 0);
  return Math.ceil(chars / 4) + images * 1600;
}

/** Routing facts from an Anthropic Messages request. */
export function anthropicRouteRequest(body: Record<string, unknown>): RouteRequest {
  const thinking = body.thinking as { type?: string } | undefined | null;
  const tools = Array.isArray(body.tools) ? body.tools as { type?: string; name?: string }[] : [];
  return {
    model: String(body.model ?? ""),
    thinking: thinking?.type === "enabled" || thinking?.type === "adaptive",
    images: hasImage(body.messages, "image"),
    webSearch: tools.some((tool) => typeof tool.type === "string" && /^web_search/.test(tool.type)),
    inputTokens: estimateInputTokens(body),
  };
}

/** Routing facts from an OpenAI chat-completions request. */
export function openAIRouteRequest(body: Record<string, unknown>): RouteRequest {
  const tools = Array.isArray(body.tools) ? body.tools as { type?: string }[] : [];
  const effort = body.reasoning_effort;
  return {
    model: String(body.model ?? ""),
    thinking: typeof effort === "string" && effort !== "none" && effort !== "minimal",
    images: hasImage(body.messages, "image_url"),
    webSearch: Boolean(body.web_search_options) ||
      tools.some((tool) => typeof tool.type === "string" && /^web_search/.test(tool.type)),
    inputTokens: estimateInputTokens(body),
  };
}

function hasImage(messages: unknown, type: string): boolean {
  if (!Array.isArray(messages)) return false;
  const found = (value: unknown, depth: number): boolean => {
    if (depth > 8 || !value || typeof value !== "object") return false;
    if (Array.isArray(value)) return value.some((item) => found(item, depth + 1));
    const record = value as Record<string, unknown>;
    if (record.type === type) return true;
    return Array.isArray(record.content) && found(record.content, depth + 1);
  };
  return messages.some((message) => found(message, 0));
}

/** The effective routing table, one line per route, in selection order (no keys). */
export function describeRouting(routing: Routing): string[] {
  const chain = (targets: Target[]) =>
    targets.map((target) => `${target.provider}/${target.model}`).join(" → ");
  const lines: string[] = [];
  for (const scenario of SCENARIO_ORDER) {
    const targets = routing.routes.scenarios[scenario];
    if (!targets) continue;
    const when = scenario === "long_context"
      ? ` (> ${routing.routes.longContextThreshold} tokens)`
      : "";
    lines.push(`${scenario}${when}: ${chain(targets)}`);
  }
  for (const route of routing.routes.models) {
    lines.push(`${route.pattern}: ${chain(route.targets)}`);
  }
  if (routing.routes.default) lines.push(`default: ${chain(routing.routes.default)}`);
  return lines;
}

/** The providers, one line each, keys redacted. */
export function describeProviders(routing: Routing): string[] {
  return Object.values(routing.providers).map((provider) => {
    const key = provider.apiKey ? "key ***" : "the client's key";
    const headers = Object.keys(provider.headers);
    return `${provider.name}: ${provider.type} ${provider.baseUrl}, ${key}${
      headers.length ? `, headers ${headers.join(", ")}` : ""
    }${provider.preset ? `, preset ${provider.preset}` : ""}`;
  });
}
