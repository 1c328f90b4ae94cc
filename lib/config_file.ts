/**
 * The config file: JSON or JSONC text (comments and trailing commas allowed), `${VAR}` references
 * read from the environment, validated with zod. Pure: the caller reads the file and passes the
 * text in (lib/cli/config_file.ts), so this stays web-standard.
 * @module
 */
import { z } from "zod";
import { BACKEND_TYPES, baseUrl, ConfigError, FLAGS } from "./config.ts";
import { AZURE_API_VERSION, inferProvider, PROVIDERS, withApiVersion } from "./providers.ts";

/** One target of a route: a provider and the upstream model to ask it for. */
export interface Target {
  provider: string;
  model: string;
}

/** A provider as the file describes it, normalized. */
export interface ProviderConfig {
  name: string;
  type: "openai" | "anthropic";
  baseUrl: string;
  apiKey?: string;
  headers: Record<string, string>;
  /** Preset whose quirk switches apply (default: inferred from the base URL's host). */
  preset?: (typeof PROVIDERS)[number];
  switches: Partial<Record<SwitchName, string>>;
  models?: string[];
  timeouts: { connectMs?: number; firstByteMs?: number; idleMs?: number; totalMs?: number };
  maxTokensCap?: number;
}

/** Scenario routes, in the order they are tried (see lib/routing.ts). */
export const SCENARIOS = ["background", "long_context", "web_search", "image", "think"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Routes from the file: scenario routes, model routes (tiers and globs) and the default. */
export interface Routes {
  default?: Target[];
  scenarios: Partial<Record<Scenario, Target[]>>;
  /** `haiku`/`sonnet`/`opus` and globs on the requested model name, in file order. */
  models: { pattern: string; targets: Target[] }[];
  /** long_context applies above this many estimated input tokens. */
  longContextThreshold: number;
}

/** The routing part of the configuration. */
export interface Routing {
  /** Where it came from (a path), for messages. */
  source: string;
  providers: Record<string, ProviderConfig>;
  routes: Routes;
}

/** What a config file contributes: flag values (lowest precedence above defaults) and routing. */
export interface ConfigFile {
  settings: Record<string, string>;
  routing: Routing;
}

const SWITCHES = [
  "clean_schemas",
  "reasoning_effort",
  "reasoning_history",
  "thought_signatures",
  "send_user",
  "pdf_files",
  "max_completion_tokens",
] as const;
type SwitchName = (typeof SWITCHES)[number];

const seconds = z.number().positive().max(86_400);
const ProviderSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only"),
  type: z.enum(BACKEND_TYPES as ["openai", "anthropic"]).optional(),
  base_url: z.string().min(1),
  api_key: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  preset: z.enum(PROVIDERS as [string, ...string[]]).optional(),
  ...Object.fromEntries(
    SWITCHES.map((name) => [
      name,
      z.enum(
        name === "reasoning_history" ? ["auto", "off", "all", "after-last-user"] : [
          "auto",
          "on",
          "off",
        ],
      ).optional(),
    ]),
  ),
  models: z.array(z.string().min(1)).optional(),
  timeouts: z.strictObject({
    connect: seconds.optional(),
    first_byte: seconds.optional(),
    idle: seconds.optional(),
    total: seconds.optional(),
  }).optional(),
  max_tokens_cap: z.number().int().min(1).max(10_000_000).optional(),
});

const TargetList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const FileSchema = z.strictObject({
  $schema: z.string().optional(),
  settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  providers: z.array(ProviderSchema).default([]),
  routes: z.record(z.string(), TargetList).default({}),
  long_context_threshold: z.number().int().positive().default(60_000),
});

/** Strips // and /* comments and trailing commas from JSONC, leaving strings untouched. */
export function stripJsonc(text: string): string {
  let out = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === ",") {
      // A comma followed (past whitespace and comments) by } or ] is dropped.
      let j = i + 1;
      for (;;) {
        while (j < n && /\s/.test(text[j])) j++;
        if (text[j] === "/" && text[j + 1] === "/") {
          while (j < n && text[j] !== "\n") j++;
        } else if (text[j] === "/" && text[j + 1] === "*") {
          const end = text.indexOf("*/", j + 2);
          j = end === -1 ? n : end + 2;
        } else break;
      }
      if (text[j] !== "}" && text[j] !== "]") out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Replaces `${VAR}` in every string of a parsed value; a missing variable names its path. */
export function interpolate(
  value: unknown,
  env: Record<string, string | undefined>,
  source: string,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) {
        throw new ConfigError(
          `${source}: ${fieldPath(path)}: environment variable ${name} is not set`,
        );
      }
      return found;
    });
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolate(item, env, source, [...path, index]));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map((
        [key, item],
      ) => [key, interpolate(item, env, source, [...path, key])]),
    );
  }
  return value;
}

function fieldPath(path: readonly PropertyKey[]): string {
  if (!path.length) return "(top level)";
  return path.map((part, index) =>
    typeof part === "number" ? `[${part}]` : `${index ? "." : ""}${String(part)}`
  ).join("");
}

/** Parses a target string: `provider/model` or `provider,model` (the model may contain `/`). */
export function parseTarget(text: string): Target | undefined {
  const match = /^([^/,]+)[/,](.+)$/.exec(text.trim());
  return match ? { provider: match[1], model: match[2] } : undefined;
}

/** Parses and validates config file text. Errors name the source and the field. */
export function parseConfigFile(
  text: string,
  source: string,
  env: Record<string, string | undefined>,
): ConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(stripJsonc(text));
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = FileSchema.safeParse(interpolate(raw, env, source));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${source}: ${fieldPath(issue.path)}: ${issue.message}`);
  }
  const file = parsed.data;
  const known = new Set(FLAGS.map((spec) => spec.flag));
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.settings ?? {})) {
    const flag = key.replaceAll("_", "-");
    if (!known.has(flag) || flag === "env-file" || flag === "config") {
      throw new ConfigError(`${source}: settings.${key}: not a known setting (see --help)`);
    }
    settings[flag] = String(value);
  }
  const providers: Record<string, ProviderConfig> = {};
  file.providers.forEach((item, index) => {
    const at = (field: string) => `providers[${index}].${field}`;
    if (providers[item.name]) {
      throw new ConfigError(`${source}: ${at("name")}: provider "${item.name}" is defined twice`);
    }
    let url = baseUrl({ value: item.base_url, source: `${source}: ${at("base_url")}` });
    // Azure deployments need the api-version query (an explicit one in base_url is kept).
    if ((item.preset ?? inferProvider(url)) === "azure") {
      url = withApiVersion(url, AZURE_API_VERSION);
    }
    const switches: ProviderConfig["switches"] = {};
    for (const name of SWITCHES) {
      const value = (item as Record<string, unknown>)[name];
      if (typeof value === "string") switches[name] = value;
    }
    const t = item.timeouts ?? {};
    const ms = (value: number | undefined) => value === undefined ? undefined : value * 1000;
    providers[item.name] = {
      name: item.name,
      type: item.type ??
        (/(^|\.)api\.anthropic\.com$/i.test(new URL(url).hostname) ? "anthropic" : "openai"),
      baseUrl: url,
      apiKey: item.api_key || undefined,
      headers: item.headers ?? {},
      preset: item.preset as ProviderConfig["preset"],
      switches,
      models: item.models,
      timeouts: {
        connectMs: ms(t.connect),
        firstByteMs: ms(t.first_byte),
        idleMs: ms(t.idle),
        totalMs: ms(t.total),
      },
      maxTokensCap: item.max_tokens_cap,
    };
  });
  const routes: Routes = {
    scenarios: {},
    models: [],
    longContextThreshold: file.long_context_threshold,
  };
  for (const [key, value] of Object.entries(file.routes)) {
    const list = typeof value === "string" ? [value] : value;
    const targets = list.map((text, index) => {
      const at = `routes.${key}${typeof value === "string" ? "" : `[${index}]`}`;
      const target = parseTarget(text);
      if (!target) throw new ConfigError(`${source}: ${at}: "${text}" is not provider/model`);
      if (!providers[target.provider]) {
        throw new ConfigError(
          `${source}: ${at}: no provider named "${target.provider}" (providers: ${
            Object.keys(providers).join(", ") || "none"
          })`,
        );
      }
      return target;
    });
    if (key === "default") routes.default = targets;
    else if ((SCENARIOS as readonly string[]).includes(key)) {
      routes.scenarios[key as Scenario] = targets;
    } else routes.models.push({ pattern: key, targets });
  }
  return { settings, routing: { source, providers, routes } };
}
