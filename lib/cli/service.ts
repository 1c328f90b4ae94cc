/**
 * `claude-proxy service print|install`: a hardened systemd unit that runs this binary with the
 * env file `setup` writes.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import process from "node:process";
import { parseEnv } from "node:util";
import { ConfigError } from "../config.ts";
import { say, splitArgs, warn } from "./args.ts";
import { configEnvFile, EnvFileError } from "./env.ts";

const DEFAULT_PATH = "/etc/systemd/system/claude-proxy.service";

const help = () =>
  `Usage: claude-proxy service print [options]
       claude-proxy service install [--path FILE] [options]

print writes a systemd unit to stdout; install writes it to ${DEFAULT_PATH}
(or --path), then tells you the systemctl commands to run.

  --env-file PATH   EnvironmentFile= (default: the file setup writes,
                    $XDG_CONFIG_HOME/claude-proxy/env or ~/.config/claude-proxy/env)
  --exec PATH       The binary to run (default: this binary, ${execCommand().join(" ")})
  --user NAME       Run as this existing user instead of DynamicUser=yes
  --path FILE       Where install writes the unit
`;

/** Runs `service`; resolves with the exit status. */
export function service(argv: readonly string[]): number {
  let own: Map<string, string>;
  let rest: string[];
  try {
    ({ own, rest } = splitArgs(argv, {
      help: "boolean",
      "env-file": "value",
      exec: "value",
      user: "value",
      path: "value",
    }));
  } catch (error) {
    if (error instanceof ConfigError) {
      warn(`claude-proxy service: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const action = rest[0];
  if (own.has("help") || action === undefined || action === "help") {
    process.stdout.write(help());
    return action === undefined && !own.has("help") ? 2 : 0;
  }
  if (rest.length > 1 || (action !== "print" && action !== "install")) {
    warn(
      `claude-proxy service: unknown argument "${
        rest.find((a) => a !== "print" && a !== "install")
      }" (print or install; see --help)`,
    );
    return 2;
  }
  let envFile: string;
  try {
    envFile = resolve(own.get("env-file") ?? configEnvFile());
  } catch (error) {
    if (error instanceof EnvFileError) {
      warn(`claude-proxy service: ${error.message}, or pass --env-file`);
      return 2;
    }
    throw error;
  }
  const exec = own.has("exec") ? [resolve(own.get("exec")!)] : execCommand();
  const unit = renderUnit({
    exec,
    envFile,
    user: own.get("user"),
    stopSeconds: stopTimeout(envFile),
  });
  if (action === "print") {
    process.stdout.write(unit);
    return 0;
  }
  const path = resolve(own.get("path") ?? DEFAULT_PATH);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, unit, { mode: 0o644 });
  } catch (error) {
    const code = (error as { code?: string }).code;
    warn(`❌ cannot write ${path}: ${(error as Error).message}`);
    if (code === "EACCES" || code === "EPERM") {
      warn("   run it as root: sudo claude-proxy service install");
    }
    return 1;
  }
  const name = basename(path);
  say(`✅ wrote ${path}`);
  if (!existsSync(envFile)) {
    say(`⚠️  ${envFile} does not exist yet: run claude-proxy setup, or pass --env-file`);
  }
  say(`Next: sudo systemctl daemon-reload && sudo systemctl enable --now ${name}`);
  say(`Logs: journalctl -u ${name} -f`);
  return 0;
}

/**
 * The command that starts this server: the single-file binary itself, or, under `deno run`
 * / `bun main.ts`, the runtime with the script.
 */
export function execCommand(): string[] {
  const exe = process.execPath;
  const script = process.argv[1];
  const runtime = /^(deno|bun)(\.exe)?$/i.test(basename(exe));
  if (
    runtime && script && /\.[cm]?[jt]s$/.test(script) && isAbsolute(script) && existsSync(script)
  ) {
    return /^deno/i.test(basename(exe))
      ? [exe, "run", "--allow-net", "--allow-env", "--allow-read", script]
      : [exe, script];
  }
  return [exe];
}

/** Seconds systemd waits after SIGTERM: the proxy's shutdown timeout plus a margin. */
function stopTimeout(envFile: string): number {
  let seconds = 30;
  try {
    const value = Number(
      (parseEnv(readFileSync(envFile, "utf8")) as Record<string, string>)
        .SHUTDOWN_TIMEOUT,
    );
    if (value > 0 && value <= 86_400) seconds = value;
  } catch {
    // Not readable (yet): the default.
  }
  return Math.ceil(seconds) + 10;
}

/** What goes into the unit. */
export interface UnitOptions {
  exec: string[];
  envFile: string;
  user?: string;
  stopSeconds: number;
}

function quote(arg: string): string {
  return /^[\w./:@+=-]+$/.test(arg) ? arg : `"${arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The systemd unit text. */
export function renderUnit(options: UnitOptions): string {
  const user = options.user
    ? [`User=${options.user}`, `Group=${options.user}`]
    : ["DynamicUser=yes"];
  return [
    "[Unit]",
    "Description=claude-proxy: Claude Code on OpenAI-compatible backends",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${options.exec.map(quote).join(" ")}`,
    // Read by systemd (as root) before privileges drop, so the file can stay mode 0600.
    `EnvironmentFile=${options.envFile}`,
    "Environment=HOME=%C/claude-proxy",
    "CacheDirectory=claude-proxy",
    ...user,
    "Restart=on-failure",
    "RestartSec=2",
    // SIGTERM lets open streams finish (SHUTDOWN_TIMEOUT); systemd waits a little longer.
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${options.stopSeconds}`,
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=read-only",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "SystemCallArchitectures=native",
    "UMask=0077",
    "LimitNOFILE=65536",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
