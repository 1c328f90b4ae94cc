/**
 * Configuration: one flag table (flag, environment names, default, help) and a pure loader.
 * Precedence: flags, then the environment, then the .env file (merged into `env` by the
 * caller), then defaults.
 * @module
 */
import { z } from "zod";
import {
  AZURE_API_VERSION,
  PRESETS,
  type Provider,
  providerOf,
  PROVIDERS,
  withApiVersion,
} from "./providers.ts";
import type { ConfigFile, Routing } from "./config_file.ts";

/** Log levels, least to most verbose. */
export type LogLevel = "error" | "warn" | "info" | "debug";
/** A switch the proxy can decide from the backend (`auto`) or be told (`on`/`off`). */
export type AutoSwitch = "auto" | "on" | "off";
/** Model tiers chosen by the requested model's name. */
export type Tier = "haiku" | "sonnet" | "opus";
export const TIERS: readonly Tier[] = ["haiku", "sonnet", "opus"];

/** Where requests of one tier go. */
export interface Backend {
  baseUrl: string;
  apiKey?: string;
  /** Upstream model; undefined passes the requested name through. */
  model?: string;
  /** The API the backend speaks; undefined means openai (chat completions). */
  type?: BackendType;
  /** Extra request headers (config file providers). */
  headers?: Record<string, string>;
}

/** A backend's dialect: OpenAI chat completions, or Anthropic's Messages API. */
export type BackendType = "openai" | "anthropic";
export const BACKEND_TYPES: readonly BackendType[] = ["openai", "anthropic"];
/** Anthropic's API: the default base URL when --backend-type anthropic is given alone. */
export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";

/** The whole configuration; the handler is built from it and nothing else. */
export interface Config {
  host: string;
  port: number;
  backend: Backend;
  tiers: Record<Tier, Backend>;
  maxTokensCap?: number;
  logLevel: LogLevel;
  cleanSchemas: AutoSwitch;
  reasoningEffort: AutoSwitch;
  /** The provider preset named with --provider; undefined infers it from each base URL. */
  provider?: Provider;
  /** Past reasoning back upstream as reasoning_content (auto: by provider and model). */
  reasoningHistory?: "auto" | "off" | "all" | "after-last-user";
  /** Gemini 3 thought signatures carried through tool ids (auto: on for Gemini). */
  thoughtSignatures?: AutoSwitch;
  /** Send metadata.user_id as `user` (auto: off for Gemini). */
  sendUser?: AutoSwitch;
  /** Send PDF documents as `file` parts (auto: OpenAI, OpenRouter, Azure). */
  pdfFiles?: AutoSwitch;
  /** Send max_completion_tokens instead of max_tokens (auto: OpenAI reasoning models). */
  maxCompletionTokens?: AutoSwitch;
  envFile?: string;
  timeouts: Timeouts;
  /** Retries of a failed upstream call before any byte reached the client. */
  retries: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Clients must present this token (x-api-key or Bearer) when set. */
  authToken?: string;
  /** Serve on a non-loopback address without an auth token. */
  allowUnauthenticated: boolean;
  /** Access-Control-Allow-Origin value; CORS is off without it. */
  corsOrigin?: string;
  /** Hosts that per-request routing (`/<scheme>/<host>/<path>/<model>/v1/messages`) may reach. */
  dynamicRouting?: string[];
  /** How long open streams may finish after SIGTERM/SIGINT, in milliseconds. */
  shutdownTimeoutMs: number;
  /** Silence after which a streamed answer gets a `ping` event, in milliseconds (default 10 s). */
  pingIntervalMs?: number;
  /** Providers and routes from the config file; undefined without one. */
  routing?: Routing;
}

/** Upstream deadlines in milliseconds. */
export interface Timeouts {
  /** Establishing the connection. */
  connectMs: number;
  /** From sending the request to the response headers and first body bytes. */
  firstByteMs: number;
  /** The longest silence between two chunks of a streamed answer. */
  idleMs: number;
  /** The whole upstream exchange. */
  totalMs: number;
}

/** One row of the flag table. */
export interface FlagSpec {
  flag: string;
  env: string[];
  value: string;
  default?: string;
  help: string;
}

const tierFlags = TIERS.flatMap((tier): FlagSpec[] => {
  const upper = tier.toUpperCase();
  return [
    {
      flag: `${tier}-model`,
      env: [`${upper}_MODEL`],
      value: "NAME",
      help: `Upstream model for requests whose model name contains "${tier}" (default: --model)`,
    },
    {
      flag: `${tier}-base-url`,
      env: [`${upper}_BASE_URL`],
      value: "URL",
      help: `Backend for the ${tier} tier (default: --base-url)`,
    },
    {
      flag: `${tier}-api-key`,
      env: [`${upper}_API_KEY`],
      value: "KEY",
      help: `API key for the ${tier} tier (default: --api-key)`,
    },
    {
      flag: `${tier}-backend-type`,
      env: [`${upper}_BACKEND_TYPE`],
      value: "openai|anthropic",
      help:
        `API the ${tier} tier's backend speaks (default: inferred from its URL, else --backend-type)`,
    },
  ];
});

/** Every flag, in help order. The README's configuration table mirrors this. */
export const FLAGS: readonly FlagSpec[] = [
  { flag: "port", env: ["PORT"], value: "N", default: "8787", help: "Port to listen on" },
  {
    flag: "host",
    env: ["HOST"],
    value: "ADDR",
    default: "127.0.0.1",
    help: "Address to listen on",
  },
  {
    flag: "base-url",
    env: ["OPEN_AI_URL", "OPENAI_BASE_URL"],
    value: "URL",
    default: "https://api.openai.com/v1",
    help: "OpenAI-compatible backend (https:// is assumed when no scheme is given)",
  },
  {
    flag: "api-key",
    env: ["API_KEY", "OPENAI_API_KEY"],
    value: "KEY",
    help: "Backend API key (default: forward the key the client sends)",
  },
  {
    flag: "backend-type",
    env: ["BACKEND_TYPE"],
    value: "openai|anthropic",
    help:
      "API the backend speaks (default: anthropic when the base URL's host is api.anthropic.com, else openai)",
  },
  {
    flag: "model",
    env: ["OPEN_MODEL"],
    value: "NAME",
    help: "Upstream model for every request (default: pass the requested name through)",
  },
  ...tierFlags,
  {
    flag: "max-tokens-cap",
    env: ["MAX_TOKENS_CAP"],
    value: "N",
    help: "Upper bound for max_tokens sent upstream (Claude Code asks for up to 128000)",
  },
  {
    flag: "clean-schemas",
    env: ["CLEAN_SCHEMAS"],
    value: "auto|on|off",
    default: "auto",
    help: "Strip tool-schema keywords strict backends reject (auto: on for Gemini)",
  },
  {
    flag: "reasoning-effort",
    env: ["REASONING_EFFORT"],
    value: "auto|on|off",
    default: "auto",
    help:
      "Send reasoning_effort when the client asks for thinking (auto: for models known to take it)",
  },
  {
    flag: "provider",
    env: ["PROVIDER"],
    value: "NAME",
    help:
      "Backend preset, listed below: default --base-url and the switches below (default: inferred from the base URL's host)",
  },
  {
    flag: "reasoning-history",
    env: ["REASONING_HISTORY"],
    value: "auto|off|all|after-last-user",
    default: "auto",
    help:
      "Send past reasoning back as reasoning_content: all (DeepSeek V3+/V4, Kimi, GLM), after-last-user (DeepSeek R1) (auto: by provider and model name)",
  },
  {
    flag: "thought-signatures",
    env: ["THOUGHT_SIGNATURES"],
    value: "auto|on|off",
    default: "auto",
    help: "Return Gemini 3 tool-call thought signatures on the next turn (auto: on for Gemini)",
  },
  {
    flag: "send-user",
    env: ["SEND_USER"],
    value: "auto|on|off",
    default: "auto",
    help: "Send the client's metadata.user_id as user (auto: off for Gemini)",
  },
  {
    flag: "pdf-files",
    env: ["PDF_FILES"],
    value: "auto|on|off",
    default: "auto",
    help: "Send PDF documents as file parts (auto: OpenAI, OpenRouter, Azure; else a clear 400)",
  },
  {
    flag: "max-completion-tokens",
    env: ["MAX_COMPLETION_TOKENS"],
    value: "auto|on|off",
    default: "auto",
    help: "Send max_completion_tokens instead of max_tokens (auto: OpenAI o*/gpt-5 models)",
  },
  {
    flag: "azure-api-version",
    env: ["AZURE_API_VERSION", "OPENAI_API_VERSION"],
    value: "VERSION",
    default: AZURE_API_VERSION,
    help: "api-version query for Azure OpenAI deployment URLs",
  },
  {
    flag: "log-level",
    env: ["LOG_LEVEL"],
    value: "error|warn|info|debug",
    default: "info",
    help: "Log verbosity; debug adds translated bodies (keys redacted)",
  },
  {
    flag: "connect-timeout",
    env: ["CONNECT_TIMEOUT"],
    value: "SECONDS",
    default: "10",
    help: "Time allowed to connect to the backend",
  },
  {
    flag: "first-byte-timeout",
    env: ["FIRST_BYTE_TIMEOUT"],
    value: "SECONDS",
    default: "600",
    help: "Time allowed until the backend starts answering (Claude Code waits up to 600 s)",
  },
  {
    flag: "idle-timeout",
    env: ["IDLE_TIMEOUT"],
    value: "SECONDS",
    default: "300",
    help: "Longest silence allowed between two chunks of a streamed answer",
  },
  {
    flag: "total-timeout",
    env: ["TOTAL_TIMEOUT"],
    value: "SECONDS",
    default: "3600",
    help: "Longest time one upstream exchange may take",
  },
  {
    flag: "ping-interval",
    env: ["PING_INTERVAL"],
    value: "SECONDS",
    default: "10",
    help:
      "Send a ping event after this much silence in a streamed answer (reasoning backends can be silent for minutes)",
  },
  {
    flag: "retries",
    env: ["RETRIES"],
    value: "N",
    default: "2",
    help: "Retries on connection errors, 429 and 5xx before any output (jittered backoff)",
  },
  {
    flag: "max-body-size",
    env: ["MAX_BODY_SIZE"],
    value: "MIB",
    default: "32",
    help: "Largest request body accepted, in MiB (Claude Code sends large images)",
  },
  {
    flag: "auth-token",
    env: ["PROXY_AUTH_TOKEN"],
    value: "TOKEN",
    help: "Clients must send this token (x-api-key or Authorization: Bearer)",
  },
  {
    flag: "allow-unauthenticated",
    env: ["ALLOW_UNAUTHENTICATED"],
    value: "",
    help: "Allow a non-loopback --host without --auth-token",
  },
  {
    flag: "cors-origin",
    env: ["CORS_ORIGIN"],
    value: "ORIGIN",
    help: "Allow browser front ends from this origin (* for any); CORS is off without it",
  },
  {
    flag: "allow-dynamic-routing",
    env: ["ALLOW_DYNAMIC_ROUTING"],
    value: "HOSTS",
    help:
      "Comma-separated backend hosts that /<scheme>/<host>/<path>/<model>/v1/messages may reach (off by default)",
  },
  {
    flag: "shutdown-timeout",
    env: ["SHUTDOWN_TIMEOUT"],
    value: "SECONDS",
    default: "30",
    help: "On SIGTERM/SIGINT, how long open streams may finish before exit",
  },
  {
    flag: "config",
    env: ["CLAUDE_PROXY_CONFIG"],
    value: "PATH",
    help:
      "Config file with providers and routes, JSON or JSONC (default: <config dir>/claude-proxy/config.json when present)",
  },
  {
    flag: "env-file",
    env: [],
    value: "PATH",
    help:
      "Read settings from this .env file (default: ./.env when present, else <config dir>/claude-proxy/env, which setup writes)",
  },
];

/** A configuration mistake: main prints the message and exits with status 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** What the command line asked for. */
export type CliAction =
  | { action: "serve"; config: Config }
  | { action: "help" }
  | { action: "version" };

/** Splits argv into flag values; rejects unknown flags and missing values. */
export function parseFlags(argv: readonly string[]): Map<string, string> | "help" | "version" {
  const known = new Set(FLAGS.map((spec) => spec.flag));
  const booleans = new Set(FLAGS.filter((spec) => spec.value === "").map((spec) => spec.flag));
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // `deno task start -- --port 1` passes the separator through.
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--version" || arg === "-V") return "version";
    if (!arg.startsWith("--")) {
      throw new ConfigError(`unexpected argument "${arg}" (flags start with --; see --help)`);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!known.has(name)) throw new ConfigError(`unknown flag --${name} (see --help)`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (booleans.has(name)) value = "true";
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) value = argv[++i];
    if (value === undefined) throw new ConfigError(`--${name} needs a value`);
    values.set(name, value);
  }
  return values;
}

/** The --env-file value, if given, so the caller can read that file before loadConfig. */
export function envFileFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--env-file") return argv[i + 1];
    if (argv[i].startsWith("--env-file=")) return argv[i].slice("--env-file=".length);
  }
  return undefined;
}

/** Builds the configuration from argv and the environment (the .env file already merged in). */
export function loadConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  file?: ConfigFile,
): CliAction {
  const flags = parseFlags(argv);
  if (flags === "help" || flags === "version") return { action: flags };
  const setting = (flag: string): { value: string; source: string } | undefined => {
    const spec = FLAGS.find((item) => item.flag === flag)!;
    const fromFlag = flags.get(flag);
    if (fromFlag !== undefined) return { value: fromFlag, source: `--${flag}` };
    for (const name of spec.env) {
      const value = env[name];
      if (value !== undefined && value !== "") return { value, source: name };
    }
    const fromFile = file?.settings[flag];
    if (fromFile !== undefined) {
      return { value: fromFile, source: `${file!.routing.source}: settings.${flag}` };
    }
    return spec.default === undefined ? undefined : { value: spec.default, source: "default" };
  };
  const text = (flag: string) => setting(flag)?.value;

  const backendType = (flag: string) => {
    const value = setting(flag);
    return value && choice(value, BACKEND_TYPES);
  };
  const mainType = backendType("backend-type");
  const provider = setting("provider") && choice(setting("provider")!, PROVIDERS);
  const mainUrl = presetBaseUrl(setting("base-url")!, provider);
  const mainBase = mainType === "anthropic" && mainUrl.source === "default"
    ? ANTHROPIC_BASE_URL
    : baseUrl(mainUrl);
  const backend: Backend = {
    baseUrl: mainBase,
    apiKey: text("api-key"),
    model: text("model"),
    type: mainType ?? inferBackendType(mainBase),
  };
  const tiers = Object.fromEntries(TIERS.map((tier) => {
    const url = setting(`${tier}-base-url`);
    const tierBase = url ? baseUrl(url) : backend.baseUrl;
    return [tier, {
      baseUrl: tierBase,
      apiKey: text(`${tier}-api-key`) ?? backend.apiKey,
      model: text(`${tier}-model`) ?? backend.model,
      type: backendType(`${tier}-backend-type`) ??
        (url ? mainType ?? inferBackendType(tierBase) : backend.type),
    }];
  })) as Record<Tier, Backend>;
  // Azure deployments need the api-version query on every request.
  const azureVersion = text("azure-api-version")!;
  for (const target of [...Object.values(tiers), backend]) {
    if (providerOf(provider, mainBase, target.baseUrl) === "azure") {
      target.baseUrl = withApiVersion(target.baseUrl, azureVersion);
    }
  }

  const host = text("host")!;
  if (!isLoopback(host) && !text("auth-token") && !boolean(setting("allow-unauthenticated"))) {
    throw new ConfigError(
      `refusing to listen on ${host} without --auth-token: anyone who can reach it could use your backend; set --auth-token (PROXY_AUTH_TOKEN), or pass --allow-unauthenticated`,
    );
  }
  return {
    action: "serve",
    config: {
      host,
      port: integer(setting("port")!, 0, 65535),
      backend,
      tiers,
      maxTokensCap: setting("max-tokens-cap") && integer(setting("max-tokens-cap")!, 1, 10_000_000),
      logLevel: choice(setting("log-level")!, ["error", "warn", "info", "debug"] as const),
      cleanSchemas: choice(setting("clean-schemas")!, ["auto", "on", "off"] as const),
      reasoningEffort: choice(setting("reasoning-effort")!, ["auto", "on", "off"] as const),
      provider,
      reasoningHistory: choice(
        setting("reasoning-history")!,
        ["auto", "off", "all", "after-last-user"] as const,
      ),
      thoughtSignatures: choice(setting("thought-signatures")!, ["auto", "on", "off"] as const),
      sendUser: choice(setting("send-user")!, ["auto", "on", "off"] as const),
      pdfFiles: choice(setting("pdf-files")!, ["auto", "on", "off"] as const),
      maxCompletionTokens: choice(
        setting("max-completion-tokens")!,
        ["auto", "on", "off"] as const,
      ),
      envFile: text("env-file"),
      timeouts: {
        connectMs: seconds(setting("connect-timeout")!),
        firstByteMs: seconds(setting("first-byte-timeout")!),
        idleMs: seconds(setting("idle-timeout")!),
        totalMs: seconds(setting("total-timeout")!),
      },
      retries: integer(setting("retries")!, 0, 10),
      maxBodyBytes: integer(setting("max-body-size")!, 1, 4096) * 1024 * 1024,
      authToken: text("auth-token"),
      allowUnauthenticated: boolean(setting("allow-unauthenticated")),
      corsOrigin: text("cors-origin"),
      dynamicRouting: text("allow-dynamic-routing")?.split(",").map((host) =>
        host.trim().toLowerCase()
      ).filter(Boolean),
      shutdownTimeoutMs: seconds(setting("shutdown-timeout")!),
      pingIntervalMs: seconds(setting("ping-interval")!),
      ...(file ? { routing: file.routing } : {}),
    },
  };
}

/** The dialect a base URL implies: anthropic for Anthropic's own API host, else openai. */
export function inferBackendType(url: string): BackendType {
  return /(^|\.)api\.anthropic\.com$/i.test(new URL(url).hostname) ? "anthropic" : "openai";
}

/** The base URL setting, or the preset's when only the default was there to take. */
function presetBaseUrl(
  setting: { value: string; source: string },
  provider: Provider | undefined,
): { value: string; source: string } {
  if (!provider || setting.source !== "default") return setting;
  const url = PRESETS[provider].baseUrl;
  if (!url) {
    throw new ConfigError(
      `--provider ${provider} needs --base-url (for Azure: https://<resource>.openai.azure.com/openai/deployments/<deployment>)`,
    );
  }
  return { value: url, source: `--provider ${provider}` };
}

/** Loopback addresses: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, "").toLowerCase();
  return name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function seconds(setting: { value: string; source: string }): number {
  const value = Number(setting.value.trim());
  if (setting.value.trim() === "" || !Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new ConfigError(
      `${setting.source} must be a number of seconds from 0 to 86400, got "${setting.value}"`,
    );
  }
  return Math.round(value * 1000);
}

function boolean(setting: { value: string; source: string } | undefined): boolean {
  if (!setting) return false;
  const value = setting.value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off", ""].includes(value)) return false;
  throw new ConfigError(`${setting.source} must be true or false, got "${setting.value}"`);
}

function integer(setting: { value: string; source: string }, min: number, max: number): number {
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(setting.value.trim());
  if (!parsed.success || setting.value.trim() === "") {
    throw new ConfigError(
      `${setting.source} must be a whole number from ${min} to ${max}, got "${setting.value}"`,
    );
  }
  return parsed.data;
}

function choice<T extends string>(
  setting: { value: string; source: string },
  options: readonly T[],
): T {
  const value = setting.value.trim().toLowerCase() as T;
  if (!options.includes(value)) {
    throw new ConfigError(
      `${setting.source} must be one of ${options.join(", ")}, got "${setting.value}"`,
    );
  }
  return value;
}

/** Normalizes a base URL: https is assumed without a scheme (as the original script took it). */
export function baseUrl(setting: { value: string; source: string }): string {
  let value = setting.value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) value = `https://${value}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${setting.source} is not a valid URL: "${setting.value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${setting.source} must be an http or https URL, got "${setting.value}"`);
  }
  return url.href.replace(/\/+$/, "");
}
