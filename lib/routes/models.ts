/**
 * GET /v1/models in a shape both SDKs parse (Anthropic's list fields plus OpenAI's), and
 * GET /healthz.
 * @module
 */
import { type Config, TIERS } from "../config.ts";
import { jsonResponse } from "./context.ts";

const CREATED_AT = "2025-01-01T00:00:00Z";

/** Claude-named aliases per tier (Claude Code keeps ids starting with "claude"), then upstream models. */
export function modelsRoute(config: Config, style: "openai" | "anthropic" = "anthropic"): Response {
  const data: Record<string, unknown>[] = [];
  const entry = (id: string, display: string) => ({
    type: "model",
    id,
    display_name: display,
    created_at: CREATED_AT,
    object: "model",
    created: Date.parse(CREATED_AT) / 1000,
    owned_by: "claude-proxy",
  });
  for (const tier of [...TIERS].reverse()) {
    const routed = config.routing?.routes.models.find((route) => route.pattern === tier) ??
      (tier === "haiku" ? { targets: config.routing?.routes.scenarios.background } : undefined);
    const target = routed?.targets
      ? routed.targets.map((item) => `${item.provider}/${item.model}`).join(" → ")
      : config.tiers[tier].model ?? "the requested model";
    data.push(
      entry(`claude-${tier}`, `Claude ${tier[0].toUpperCase()}${tier.slice(1)} → ${target}`),
    );
  }
  const upstream = new Set(
    [config.backend.model, ...TIERS.map((tier) => config.tiers[tier].model)].filter(
      (model): model is string => Boolean(model),
    ),
  );
  for (const model of upstream) data.push(entry(model, model));
  // Config file: every routed target and every listed model, as `provider/model` (an override).
  const routing = config.routing;
  if (routing) {
    const routed = new Set<string>();
    const { routes } = routing;
    for (
      const targets of [
        routes.default ?? [],
        ...Object.values(routes.scenarios),
        ...routes.models.map((route) => route.targets),
      ]
    ) {
      for (const target of targets ?? []) routed.add(`${target.provider}/${target.model}`);
    }
    for (const provider of Object.values(routing.providers)) {
      for (const model of provider.models ?? []) routed.add(`${provider.name}/${model}`);
    }
    for (const id of routed) data.push(entry(id, id));
  }
  if (style === "openai") {
    // OpenAI's list shape: clients that validate strictly see only its fields.
    return jsonResponse({
      object: "list",
      data: data.map(({ id, object, created, owned_by }) => ({ id, object, created, owned_by })),
    });
  }
  return jsonResponse({
    object: "list",
    data,
    has_more: false,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
}
