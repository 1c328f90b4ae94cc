/**
 * Settings the server and its subcommands share: the .env file (`--env-file PATH`; by default
 * `./.env` when present, else the file `setup` writes, `$XDG_CONFIG_HOME/claude-proxy/env`)
 * merged under the process environment, and the user's config paths.
 * Node built-ins only, so the same code runs under Deno, Bun and their single-file binaries.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseEnv } from "node:util";
import { envFileFlag } from "../config.ts";

/** A settings problem the caller reports in one line (exit status 2). */
export class EnvFileError extends Error {}

/** The environment the config loader sees: the process environment over the .env file. */
export function readEnv(argv: readonly string[]): Record<string, string | undefined> {
  const explicit = envFileFlag(argv);
  const path = explicit ?? defaultEnvFile();
  let fileEnv: Record<string, string> = {};
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new EnvFileError(`cannot read --env-file ${path}: ${(error as Error).message}`);
    }
    fileEnv = parseEnv(text) as Record<string, string>;
  }
  return { ...fileEnv, ...process.env };
}

/** ./.env when present, else the env file `setup` writes when present. */
function defaultEnvFile(): string | undefined {
  if (existsSync(".env")) return ".env";
  try {
    const path = configEnvFile();
    return existsSync(path) ? path : undefined;
  } catch {
    // No home directory to look in.
    return undefined;
  }
}

/** The user's home directory ($HOME first, so tests can point it elsewhere). */
export function homeDir(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.HOME || env.USERPROFILE;
  if (fromEnv) return fromEnv;
  try {
    return homedir();
  } catch {
    // Deno without --allow-sys.
    throw new EnvFileError("cannot tell the home directory: set HOME");
  }
}

/** The proxy's own config directory: $XDG_CONFIG_HOME/claude-proxy or ~/.config/claude-proxy. */
export function configDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homeDir(env), ".config");
  return join(base, "claude-proxy");
}

/** The env file `setup` writes and the systemd unit reads. */
export function configEnvFile(env: Record<string, string | undefined> = process.env): string {
  return join(configDir(env), "env");
}

/** Claude Code's user settings file. */
export function claudeSettingsFile(env: Record<string, string | undefined> = process.env): string {
  return join(homeDir(env), ".claude", "settings.json");
}
