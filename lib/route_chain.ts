/**
 * From a selection (lib/routing.ts) to hops a route can try in turn, and the fallback loop:
 * the next hop is tried when the upstream call failed before any output (connection failure,
 * timeout before the first byte, 429, 5xx — after postUpstream's own retries).
 * @module
 */
import type { Backend, Config } from "./config.ts";
import type { ProviderConfig, Target } from "./config_file.ts";
import { ProxyError } from "./errors.ts";
import { resolveRoute, type Route } from "./model_map.ts";
import type { Context } from "./routes/context.ts";
import { type RouteRequest, selectRoute } from "./routing.ts";
import { postUpstream, type UpstreamCall, type UpstreamResponse } from "./upstream.ts";

/** One entry of a fallback chain: the route, the config seen through its provider, its name. */
export interface Hop {
  route: Route;
  /** The config with the provider's timeouts, max_tokens cap and switches applied. */
  config: Config;
  /** Reported in the x-claude-proxy-provider header. */
  name: string;
}

/** The header naming the provider that answered. */
export const PROVIDER_HEADER = "x-claude-proxy-provider";

/** The hops for a request: the file's routes when they apply, else the flag/env backends. */
export function routeChain(
  config: Config,
  requestedModel: string,
  facts: () => RouteRequest,
  dynamic?: Backend,
): Hop[] {
  const selection = !dynamic && config.routing ? selectRoute(facts(), config.routing) : undefined;
  if (!selection) {
    const route = resolveRoute(config, requestedModel, dynamic);
    return [{ route, config, name: route.provider }];
  }
  return selection.targets.map((target) => targetHop(config, target, requestedModel));
}

/** The hop for one `provider/model` target of the config file. */
export function targetHop(config: Config, target: Target, requestedModel: string): Hop {
  const provider = config.routing!.providers[target.provider];
  const view = providerView(config, provider, target.model);
  const route = resolveRoute(view, requestedModel);
  return { route, config: view, name: provider.name };
}

/** The config as one provider sees it: its backend on every tier, its overrides on top. */
export function providerView(config: Config, provider: ProviderConfig, model: string): Config {
  const backend: Backend = {
    baseUrl: provider.baseUrl,
    apiKey: provider.apiKey,
    model,
    type: provider.type,
    headers: provider.headers,
  };
  const s = provider.switches;
  const t = provider.timeouts;
  return {
    ...config,
    backend,
    tiers: { haiku: backend, sonnet: backend, opus: backend },
    provider: provider.preset,
    maxTokensCap: provider.maxTokensCap ?? config.maxTokensCap,
    timeouts: {
      connectMs: t.connectMs ?? config.timeouts.connectMs,
      firstByteMs: t.firstByteMs ?? config.timeouts.firstByteMs,
      idleMs: t.idleMs ?? config.timeouts.idleMs,
      totalMs: t.totalMs ?? config.timeouts.totalMs,
    },
    cleanSchemas: (s.clean_schemas as Config["cleanSchemas"]) ?? config.cleanSchemas,
    reasoningEffort: (s.reasoning_effort as Config["reasoningEffort"]) ?? config.reasoningEffort,
    reasoningHistory: (s.reasoning_history as Config["reasoningHistory"]) ??
      config.reasoningHistory,
    thoughtSignatures: (s.thought_signatures as Config["thoughtSignatures"]) ??
      config.thoughtSignatures,
    sendUser: (s.send_user as Config["sendUser"]) ?? config.sendUser,
    pdfFiles: (s.pdf_files as Config["pdfFiles"]) ?? config.pdfFiles,
    maxCompletionTokens: (s.max_completion_tokens as Config["maxCompletionTokens"]) ??
      config.maxCompletionTokens,
  };
}

// Errors thrown by postUpstream (nothing reached the client yet): only these may fall back.
const upstreamFailures = new WeakSet<object>();

/** postUpstream with the hop's deadlines and retries; its failures may fall back. */
export async function postHop(
  context: Context,
  hop: Hop,
  call: Omit<UpstreamCall, "label">,
): Promise<UpstreamResponse> {
  const { logger } = context;
  try {
    return await postUpstream(context.fetch, {
      ...call,
      label: hop.route.label,
      headers: { ...hop.route.backend.headers, ...call.headers },
    }, {
      timeouts: hop.config.timeouts,
      retries: hop.config.retries,
      connectProbe: context.connectProbe,
      sleep: context.sleep,
      onRetry: (attempt, delay, reason) =>
        logger.log("warn", `retry ${attempt} in ${Math.round(delay)}ms: ${reason}`),
    });
  } catch (error) {
    if (error && typeof error === "object") upstreamFailures.add(error);
    throw error;
  }
}

/** Whether a failure lets the next hop be tried: connection, timeout, 429, 5xx; not 499. */
export function canFallBack(error: unknown): boolean {
  return error instanceof ProxyError && upstreamFailures.has(error) &&
    (error.status === 429 || error.status >= 500);
}

/**
 * Tries each hop in turn. `attempt` must call the upstream through postHop; a failure there
 * (before any output) moves on to the next hop, anything else is thrown as it is.
 */
export async function withFallback(
  hops: readonly Hop[],
  context: Context,
  attempt: (hop: Hop) => Promise<Response>,
): Promise<Response> {
  for (let index = 0;; index++) {
    const hop = hops[index];
    context.log.upstreamModel = hop.route.model;
    try {
      const response = await attempt(hop);
      response.headers.set(PROVIDER_HEADER, hop.name);
      if (index > 0) context.logger.log("info", `fallback: answered by ${describeHop(hop)}`);
      return response;
    } catch (error) {
      const next = hops[index + 1];
      if (!next || !canFallBack(error)) {
        // The client sees which provider the error came from.
        if (error instanceof ProxyError) error.headers[PROVIDER_HEADER] ??= hop.name;
        throw error;
      }
      context.logger.log(
        "warn",
        `fallback: ${describeHop(hop)} failed (${(error as Error).message}); trying ${
          describeHop(next)
        }`,
      );
    }
  }
}

function describeHop(hop: Hop): string {
  return `${hop.name}/${hop.route.model}`;
}
