/**
 * Finding and reading the config file (`--config PATH`, env CLAUDE_PROXY_CONFIG, default
 * `<config dir>/claude-proxy/config.json` when present), and building the whole configuration
 * from argv, the environment and that file. Node built-ins only (Deno and Bun alike).
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CliAction, ConfigError, loadConfig } from "../config.ts";
import { type ConfigFile, parseConfigFile } from "../config_file.ts";
import { configDir, readEnv } from "./env.ts";

/** The --config value in argv, if any. */
export function configFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--config") return argv[i + 1];
    if (argv[i].startsWith("--config=")) return argv[i].slice("--config=".length);
  }
  return undefined;
}

/** The config file to read: explicit (must exist), else the default when it exists. */
export function configFilePath(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): { path: string; explicit: boolean } | undefined {
  const explicit = configFlag(argv) ?? (env.CLAUDE_PROXY_CONFIG || undefined);
  if (explicit) return { path: explicit, explicit: true };
  let path: string;
  try {
    path = join(configDir(env), "config.json");
  } catch {
    return undefined;
  }
  return existsSync(path) ? { path, explicit: false } : undefined;
}

/** Reads and parses one config file; errors name the path. */
export function readConfigFile(
  path: string,
  env: Record<string, string | undefined>,
): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  return parseConfigFile(text, path, env);
}

/** argv + environment (+ .env) + config file → what to do; also returns the file's path. */
export function loadAll(
  argv: readonly string[],
): { result: CliAction; file?: string } {
  const env = readEnv(argv);
  if (argv.some((arg) => ["--help", "-h", "--version", "-V"].includes(arg))) {
    return { result: loadConfig(argv, env) };
  }
  const found = configFilePath(argv, env);
  const file = found ? readConfigFile(found.path, env) : undefined;
  return { result: loadConfig(argv, env, file), file: found?.path };
}
