/**
 * `claude-proxy config check [PATH]`: validates the config file (with flags, environment and
 * .env applied as the server would) and prints the effective routing table, keys redacted.
 * `claude-proxy config init [PATH] [--force]`: writes a commented starter file.
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "../config.ts";
import { describeProviders, describeRouting } from "../routing.ts";
import { say, splitArgs } from "./args.ts";
import { loadAll } from "./config_file.ts";
import { configDir } from "./env.ts";

/** The starter file `config init` writes. */
export const STARTER = `// claude-proxy config file (JSONC: comments and trailing commas are fine).
// \${VAR} is read from the environment, so keys need not sit in this file.
// Check it with: claude-proxy config check
{
  // Any server flag, without the dashes; flags and environment variables override these.
  "settings": {
    // "port": 8787,
    // "log_level": "info",
  },
  "providers": [
    {
      "name": "deepseek",
      "base_url": "https://api.deepseek.com/v1",
      "api_key": "\${DEEPSEEK_API_KEY}",
      "max_tokens_cap": 8192,
    },
    {
      "name": "ollama",
      "base_url": "http://127.0.0.1:11434/v1",
      "timeouts": { "first_byte": 300 },
    },
    {
      "name": "openrouter",
      "base_url": "https://openrouter.ai/api/v1",
      "api_key": "\${OPENROUTER_API_KEY}",
      "headers": { "X-Title": "claude-proxy" },
    },
  ],
  // Each route is "provider/model" or a list: a fallback chain, tried in order.
  "routes": {
    "default": ["deepseek/deepseek-chat", "openrouter/deepseek/deepseek-chat-v3.1"],
    "sonnet": ["deepseek/deepseek-chat", "openrouter/deepseek/deepseek-chat-v3.1"],
    "haiku": "ollama/qwen3-coder:30b",
    "background": "ollama/qwen3-coder:30b",
    "think": ["deepseek/deepseek-reasoner", "openrouter/deepseek/deepseek-r1"],
    // "long_context": "openrouter/google/gemini-2.5-pro",
    // "image": "openrouter/openai/gpt-4.1",
    // "web_search": "openrouter/openai/gpt-4o-search-preview",
    // "claude-3-5-*": "openrouter/anthropic/claude-3.5-haiku",
  },
  // Requests estimated above this many input tokens take the long_context route.
  "long_context_threshold": 60000,
}
`;

/** Runs `config check` or `config init`; returns the exit status. */
export function configCommand(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === "check") return Promise.resolve(check(rest));
  if (action === "init") return Promise.resolve(init(rest));
  throw new ConfigError(
    `usage: claude-proxy config check [PATH] [flags] | claude-proxy config init [PATH] [--force]`,
  );
}

function check(argv: readonly string[]): number {
  const args = argv[0] && !argv[0].startsWith("--") ? ["--config", argv[0], ...argv.slice(1)] : [
    ...argv,
  ];
  const { result, file } = loadAll(args);
  if (result.action !== "serve") throw new ConfigError("config check takes no --help/--version");
  const config = result.config;
  if (!file || !config.routing) {
    say("no config file (give a PATH, --config or CLAUDE_PROXY_CONFIG); flags and environment:");
  } else {
    say(`${file}: valid`);
    say("providers:");
    for (const line of describeProviders(config.routing)) say(`  ${line}`);
    say("routes (in selection order; a provider/model request goes straight there):");
    for (const line of describeRouting(config.routing)) say(`  ${line}`);
  }
  say(
    `${
      config.routing?.routes.default ? "flag/env backend (unused: default route set)" : "unmatched"
    }: ${config.backend.type ?? "openai"} ${config.backend.baseUrl}, model ${
      config.backend.model ?? "(as requested)"
    }, ${config.backend.apiKey ? "key ***" : "the client's key"}`,
  );
  return 0;
}

function init(argv: readonly string[]): number {
  const { own, rest } = splitArgs(argv, { force: "boolean" });
  const path = rest[0] ?? join(configDir(), "config.json");
  if (existsSync(path) && !own.has("force")) {
    throw new ConfigError(`${path} exists; pass --force to overwrite it`);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, STARTER, { mode: 0o600 });
  say(`wrote ${path}; edit it, then: claude-proxy config check ${path}`);
  return 0;
}
