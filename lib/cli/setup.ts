/**
 * `claude-proxy setup`: writes the proxy's env file and points Claude Code at the proxy
 * (~/.claude/settings.json, merged, with a timestamped backup), checks for the `claude` CLI,
 * and sends one live request to the backend. `--undo` restores the newest backup.
 * @module
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline/promises";
import { parseEnv } from "node:util";
import { ConfigError, FLAGS, loadConfig, parseFlags } from "../config.ts";
import { say, splitArgs, warn } from "./args.ts";
import { claudeSettingsFile, configEnvFile } from "./env.ts";
import { chatProbe } from "./probe.ts";

const OWN_FLAGS = {
  yes: "boolean",
  undo: "boolean",
  "no-test": "boolean",
  help: "boolean",
  "claude-haiku-model": "value",
  "claude-sonnet-model": "value",
  "claude-opus-model": "value",
} as const;

const HELP = `Usage: claude-proxy setup [--yes] [--no-test] [server flags…]
       claude-proxy setup --undo

Writes the proxy's settings to $XDG_CONFIG_HOME/claude-proxy/env (default
~/.config/claude-proxy/env, mode 0600) and points Claude Code at the proxy in
~/.claude/settings.json (env.ANTHROPIC_BASE_URL, env.ANTHROPIC_AUTH_TOKEN), keeping a
timestamped backup. Asks for what is missing when stdin is a terminal; --yes never asks.

  --yes, -y                 Do not ask; use the flags and the existing env file
  --no-test                 Skip the live request to the backend
  --undo                    Restore the newest backup of ~/.claude/settings.json
  --claude-haiku-model NAME, --claude-sonnet-model NAME, --claude-opus-model NAME
                            Also set Claude Code's ANTHROPIC_DEFAULT_<TIER>_MODEL
  Server flags (--base-url, --api-key, --model, --haiku-model, --port, --auth-token …) are
  written to the env file; see claude-proxy --help.
`;

/** Runs `setup`; resolves with the exit status. */
export async function setup(argv: readonly string[]): Promise<number> {
  let own: Map<string, string>;
  let flags: Map<string, string>;
  try {
    const split = splitArgs(argv, OWN_FLAGS);
    own = split.own;
    const parsed = parseFlags(split.rest);
    if (parsed === "help" || own.has("help")) {
      process.stdout.write(HELP);
      return 0;
    }
    if (parsed === "version") throw new ConfigError("--version is not a setup flag");
    flags = parsed;
  } catch (error) {
    if (error instanceof ConfigError) {
      warn(`claude-proxy setup: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const settingsPath = claudeSettingsFile();
  if (own.has("undo")) return undo(settingsPath);

  // 1. Claude Code's settings: refuse to touch a file we cannot parse.
  const settings = readSettings(settingsPath);
  if (settings.kind === "malformed") {
    const backup = backupSettings(settingsPath);
    warn(`❌ ${settingsPath} is not valid JSON (${settings.error}).`);
    warn(`   It is left unchanged; a copy is in ${backup}.`);
    warn(
      "   Fix it (or move it away) and run claude-proxy setup again; nothing was written.",
    );
    return 1;
  }

  // 2. The proxy's env file: the existing one, then the flags.
  const envPath = configEnvFile();
  const values = existsSync(envPath)
    ? parseEnv(readFileSync(envPath, "utf8")) as Record<string, string>
    : {};
  for (const [flag, value] of flags) {
    if (flag === "env-file") continue;
    setFlag(values, flag, value);
  }
  const interactive = !own.has("yes") && process.stdin.isTTY === true;
  if (interactive && !(await ask(values, envPath, settingsPath))) {
    say("Nothing written.");
    return 1;
  }
  let config;
  try {
    const result = loadConfig([], values);
    if (result.action !== "serve") throw new ConfigError("unexpected action");
    config = result.config;
  } catch (error) {
    if (error instanceof ConfigError) {
      warn(`claude-proxy setup: ${error.message}`);
      return 2;
    }
    throw error;
  }

  mkdirSync(dirname(envPath), { recursive: true, mode: 0o700 });
  writeFileSync(envPath, renderEnv(values), { mode: 0o600 });
  chmodSync(envPath, 0o600);
  say(`✅ wrote ${envPath} (mode 0600)`);

  // 3. Claude Code → the proxy.
  const host = /^(0\.0\.0\.0|::|\[::\])$/.test(config.host) ? "127.0.0.1" : config.host;
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const port = config.port === 0 ? 8787 : config.port;
  const env: Record<string, string> = {
    ANTHROPIC_BASE_URL: `http://${hostPart}:${port}`,
    ANTHROPIC_AUTH_TOKEN: config.authToken ??
      (config.backend.apiKey ? "unused" : "your-backend-api-key"),
  };
  for (const tier of ["haiku", "sonnet", "opus"]) {
    const model = own.get(`claude-${tier}-model`);
    if (model) env[`ANTHROPIC_DEFAULT_${tier.toUpperCase()}_MODEL`] = model;
  }
  const data = settings.kind === "ok" ? settings.data : {};
  const previousEnv = (data.env ?? {}) as Record<string, unknown>;
  const backup = backupSettings(settingsPath);
  data.env = { ...previousEnv, ...env };
  writeAtomically(settingsPath, `${JSON.stringify(data, null, 2)}\n`);
  say(`✅ updated ${settingsPath} (env.${Object.keys(env).join(", env.")})`);
  say(`   backup: ${backup} (claude-proxy setup --undo restores it)`);
  if (!config.backend.apiKey && !config.authToken) {
    say(
      "   no --api-key: the proxy forwards the client's key, so put your backend key in " +
        "env.ANTHROPIC_AUTH_TOKEN",
    );
  }
  if (typeof previousEnv.ANTHROPIC_API_KEY === "string") {
    say("⚠️  env.ANTHROPIC_API_KEY is set too; Claude Code may prefer it. Left unchanged.");
  }

  // 4. The claude CLI.
  const claude = findOnPath("claude");
  if (claude) say(`✅ Claude Code found: ${claude}`);
  else {
    say("⚠️  the claude CLI is not on PATH. Install it: npm install -g @anthropic-ai/claude-code");
  }

  // 5. One live request.
  let status = 0;
  if (own.has("no-test")) say("   live test skipped (--no-test)");
  else {
    const model = config.tiers.sonnet.model ?? config.backend.model;
    const target = { ...config.tiers.sonnet, model };
    if (!model) {
      say("⚠️  live test skipped: no --model, so the backend must know Claude's model names");
    } else {
      const result = await chatProbe(target, { timeoutMs: 30_000 });
      if (result.ok) say(`✅ backend ${target.baseUrl}: ${result.summary}`);
      else {
        say(`❌ backend ${target.baseUrl}: ${result.summary}`);
        if (result.reason) say(`   the backend said: ${result.reason}`);
        if (result.advice) say(`   ${result.advice}`);
        say("   (the files above are written; fix the value and run setup again)");
        status = 1;
      }
    }
  }
  say("");
  say(`Start the proxy:  claude-proxy   (it reads ${envPath} unless ./.env exists)`);
  say("Or as a service:  sudo claude-proxy service install   (see claude-proxy service --help)");
  return status;
}

/** Sets a server flag's value under its first environment name, dropping its aliases. */
function setFlag(values: Record<string, string>, flag: string, value: string): void {
  const spec = FLAGS.find((item) => item.flag === flag);
  if (!spec || spec.env.length === 0) return;
  for (const name of spec.env) delete values[name];
  values[spec.env[0]] = value;
}

async function ask(
  values: Record<string, string>,
  envPath: string,
  settingsPath: string,
): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  // Lines typed ahead stay queued in the iterator (rl.question would drop them).
  const lines = rl[Symbol.asyncIterator]();
  const line = async (prompt: string): Promise<string | undefined> => {
    process.stdout.write(prompt);
    const next = await lines.next().catch(() => ({ done: true, value: undefined }));
    return next.done ? undefined : String(next.value).trim();
  };
  // A key typed at a terminal is not echoed: raw mode turns echo off (and line editing, so
  // backspace is applied here). Keys typed ahead of the prompt were echoed already.
  const tty = process.stdin as { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  const hiddenLine = async (prompt: string): Promise<string | undefined> => {
    if (!tty.isTTY || !tty.setRawMode) return await line(prompt);
    process.stdout.write(prompt);
    tty.setRawMode(true);
    let next;
    try {
      next = await lines.next().catch(() => ({ done: true, value: undefined }));
    } finally {
      tty.setRawMode(false);
      process.stdout.write("\n");
    }
    return next.done ? undefined : typedText(String(next.value));
  };
  try {
    const question = async (label: string, flag: string, secret = false) => {
      const spec = FLAGS.find((item) => item.flag === flag)!;
      const current = spec.env.map((name) => values[name]).find(Boolean);
      const shown = current ? (secret ? "keep current" : current) : "none";
      const answer = await (secret ? hiddenLine : line)(`${label} [${shown}]: `);
      if (answer === undefined) return false;
      if (answer) setFlag(values, flag, answer);
      return true;
    };
    const asked = await question(
      "Backend base URL (OpenAI-compatible, e.g. https://api.openai.com/v1)",
      "base-url",
    ) &&
      await question("Backend API key (empty: none)", "api-key", true) &&
      await question("Model for every request (e.g. gpt-4.1)", "model") &&
      await question("Model for the haiku tier (empty: the same)", "haiku-model");
    if (!asked) return false;
    say(`Will write ${envPath} and update ${settingsPath} (with a backup).`);
    const ok = (await line("Go ahead? [Y/n] "))?.toLowerCase();
    return ok === "" || ok === "y" || ok === "yes";
  } finally {
    rl.close();
  }
}

/**
 * What a line typed in raw mode says: backspace and delete remove the character before them,
 * Ctrl-C or Ctrl-D cancels (undefined), other control characters are dropped.
 */
export function typedText(raw: string): string | undefined {
  const out: string[] = [];
  for (const char of raw) {
    if (char === "\x03" || char === "\x04") return undefined;
    if (char === "\x7f" || char === "\b") out.pop();
    else if (char >= " ") out.push(char);
  }
  return out.join("").trim();
}

/** KEY=value lines both systemd's EnvironmentFile and .env parsers read the same way. */
export function renderEnv(values: Record<string, string>): string {
  const lines = ["# claude-proxy settings (written by claude-proxy setup)"];
  for (const [key, value] of Object.entries(values)) {
    if (/[\r\n]/.test(value)) throw new ConfigError(`${key} must be a single line`);
    if (/^[\w./:@+,=-]*$/.test(value)) lines.push(`${key}=${value}`);
    else if (!value.includes("'")) lines.push(`${key}='${value}'`);
    else if (!/["\\$`]/.test(value)) lines.push(`${key}="${value}"`);
    else throw new ConfigError(`${key} contains both quote kinds; set it in the file by hand`);
  }
  return `${lines.join("\n")}\n`;
}

type Settings =
  | { kind: "absent" }
  | { kind: "ok"; data: Record<string, unknown> }
  | { kind: "malformed"; error: string };

function readSettings(path: string): Settings {
  if (!existsSync(path)) return { kind: "absent" };
  const text = readFileSync(path, "utf8");
  if (text.trim() === "") return { kind: "ok", data: {} };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { kind: "malformed", error: (error as Error).message };
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    return { kind: "malformed", error: "the top level is not an object" };
  }
  const env = (data as { env?: unknown }).env;
  if (env !== undefined && (!env || typeof env !== "object" || Array.isArray(env))) {
    return { kind: "malformed", error: '"env" is not an object' };
  }
  return { kind: "ok", data: data as Record<string, unknown> };
}

const BACKUP_MARK = ".backup-";

/**
 * Copies settings.json to settings.json.backup-<UTC time>; when there is no settings.json, an
 * empty `….absent` marker records that, so --undo removes the file setup created.
 */
function backupSettings(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[-:.]/g, "");
  const absent = !existsSync(path);
  let backup = "";
  for (let i = 0; i < 100; i++) {
    backup = `${path}${BACKUP_MARK}${stamp}${i ? `-${String(i).padStart(2, "0")}` : ""}${
      absent ? ".absent" : ""
    }`;
    if (!existsSync(backup) && !existsSync(backup.replace(/\.absent$/, ""))) break;
  }
  if (absent) writeFileSync(backup, "", { mode: 0o600 });
  else {
    copyFileSync(path, backup);
    chmodSync(backup, statSync(path).mode & 0o777);
  }
  return backup;
}

function writeAtomically(path: string, text: string): void {
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, path);
}

function undo(path: string): number {
  const dir = dirname(path);
  const prefix = `${path.slice(dir.length + 1)}${BACKUP_MARK}`;
  const backups = existsSync(dir)
    ? readdirSync(dir).filter((name) => name.startsWith(prefix)).sort()
    : [];
  const newest = backups.at(-1);
  if (!newest) {
    warn(`claude-proxy setup --undo: no backup of ${path} found`);
    return 1;
  }
  const backup = join(dir, newest);
  if (newest.endsWith(".absent")) {
    rmSync(path, { force: true });
    rmSync(backup);
    say(`✅ removed ${path} (it did not exist before setup)`);
  } else {
    renameSync(backup, path);
    say(`✅ restored ${path} from ${backup}`);
  }
  say(`   the proxy's env file ${configEnvFile()} is left in place`);
  return 0;
}

/** The first executable named `name` on PATH, if any. */
export function findOnPath(name: string): string | undefined {
  const extensions = process.platform === "win32" ? [".exe", ".cmd", ".bat", ""] : [""];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = join(dir, name + ext);
      try {
        const stat = statSync(candidate);
        if (stat.isFile() && (process.platform === "win32" || (stat.mode & 0o111) !== 0)) {
          return candidate;
        }
      } catch {
        // Not here.
      }
    }
  }
  return undefined;
}
