/**
 * CLI entry: a subcommand (setup, doctor, service) from lib/cli/, or the server:
 * argv/env (+ .env) → config → handler → Deno.serve or Bun.serve, with graceful shutdown.
 * The only file that touches runtime-specific APIs.
 * @module
 */
import process from "node:process";
import { type Config, ConfigError, createHandler, helpText, VERSION } from "./lib/mod.ts";
import { EnvFileError } from "./lib/cli/env.ts";
import { loadAll } from "./lib/cli/config_file.ts";
import { describeProviders, describeRouting } from "./lib/routing.ts";
import { watchFile } from "./lib/runtime/watch_file.ts";
import { isSubcommand, runSubcommand } from "./lib/cli/mod.ts";
import { tcpConnectProbe } from "./lib/runtime/connect_probe.ts";

declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Promise<Response>;
    idleTimeout: number;
  }): { port: number; stop(force?: boolean): Promise<void> };
} | undefined;

function fail(message: string): never {
  // deno-lint-ignore no-console
  console.error(`claude-proxy: ${message}`);
  process.exit(2);
}

function describe(config: Config): string {
  const lines = [
    `backend ${config.backend.baseUrl}, model ${config.backend.model ?? "(as requested)"}`,
  ];
  for (const [tier, backend] of Object.entries(config.tiers)) {
    if (backend.model === config.backend.model && backend.baseUrl === config.backend.baseUrl) {
      continue;
    }
    lines.push(`  *${tier}* → ${backend.model ?? "(as requested)"} at ${backend.baseUrl}`);
  }
  const key = config.backend.apiKey ? "configured API key" : "the client's own API key";
  lines.push(`  upstream auth: ${key}`);
  if (config.routing) {
    lines.push(`  config file ${config.routing.source}`);
    for (const line of describeProviders(config.routing)) lines.push(`    provider ${line}`);
    const routes = describeRouting(config.routing);
    for (const line of routes) lines.push(`    route ${line}`);
    lines.push(
      config.routing.routes.default
        ? "    unmatched requests: the default route (the backend above is not used)"
        : "    unmatched requests: the backend above",
    );
  }
  if (Object.values(config.tiers).some((tier) => tier.type === "anthropic")) {
    lines.push(
      `  dialects: ${
        Object.entries(config.tiers).map(([tier, backend]) => `${tier} ${backend.type}`).join(", ")
      } (POST /v1/chat/completions and /v1/messages both served)`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (isSubcommand(argv[0])) process.exit(await runSubcommand(argv[0], argv.slice(1)));
  let config: Config;
  let configPath: string | undefined;
  try {
    const { result, file } = loadAll(argv);
    configPath = file;
    if (result.action === "help") {
      process.stdout.write(helpText());
      return;
    }
    if (result.action === "version") {
      process.stdout.write(`claude-proxy ${VERSION}\n`);
      return;
    }
    config = result.config;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof EnvFileError) fail(error.message);
    throw error;
  }
  // Reload swaps `current`; each request reads it once when it starts and keeps it to its end.
  let current = config;
  const handler = createHandler(() => current, { connectProbe: tcpConnectProbe });
  const reload = (why: string) => {
    try {
      const { result } = loadAll(argv);
      if (result.action !== "serve") return;
      const next = result.config;
      if (next.host !== current.host || next.port !== current.port) {
        log(`claude-proxy: ${why}: host and port changes take effect after a restart`);
      }
      current = { ...next, host: current.host, port: current.port };
      log(`claude-proxy: ${why}: configuration reloaded\n  ${describe(current)}`);
    } catch (error) {
      if (!(error instanceof ConfigError || error instanceof EnvFileError)) throw error;
      log(
        `claude-proxy: ${why}: new configuration rejected, keeping the running one: ${error.message}`,
      );
    }
  };
  if (process.platform !== "win32") process.on("SIGHUP", () => reload("SIGHUP"));
  if (configPath) {
    const path = configPath;
    watchFile(path, () => reload(`${path} changed`));
  }
  const announce = (port: number) => {
    // deno-lint-ignore no-console
    console.error(
      `claude-proxy ${VERSION} listening on http://${config.host}:${port}\n  ${describe(config)}`,
    );
  };
  // Signals first, so one that arrives right after the "listening" line is handled.
  let stop: (() => Promise<void>) | undefined;
  handleSignals(config.shutdownTimeoutMs, () => stop);
  try {
    stop = serve(config, handler, announce);
  } catch (error) {
    fail(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
}

/**
 * First SIGTERM/SIGINT: stop accepting, let open requests (streams too) finish for up to
 * --shutdown-timeout, exit 0. A second signal exits at once.
 */
function handleSignals(timeoutMs: number, server: () => (() => Promise<void>) | undefined): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log(`claude-proxy: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    const stop = server();
    if (!stop) process.exit(0);
    const seconds = timeoutMs / 1000;
    log(
      `claude-proxy: ${signal}, no new connections; open requests may finish (up to ${seconds} s)`,
    );
    const timer = setTimeout(() => {
      log(`claude-proxy: shutdown timeout (${seconds} s) reached, closing open requests`);
      process.exit(0);
    }, timeoutMs);
    stop().then(() => {
      clearTimeout(timer);
      log("claude-proxy: stopped");
      process.exit(0);
    }, (error) => {
      log(`claude-proxy: shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  // Windows delivers only SIGINT (Ctrl-C) and SIGBREAK.
  if (process.platform !== "win32") process.on("SIGTERM", () => shutdown("SIGTERM"));
}

function log(line: string): void {
  // deno-lint-ignore no-console
  console.error(line);
}

function serve(
  config: Config,
  handler: (request: Request) => Promise<Response>,
  announce: (port: number) => void,
): () => Promise<void> {
  if (typeof Bun !== "undefined") {
    // Bun closes connections idle for 10 s by default, streams included; thinking models can be
    // silent longer than that (oven-sh/bun#27479).
    const server = Bun.serve({
      hostname: config.host,
      port: config.port,
      fetch: handler,
      idleTimeout: 0,
    });
    announce(server.port);
    // stop() without force: closes the listener, resolves when open requests have finished.
    return () => server.stop();
  }
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: ({ port }) => announce(port),
    onError: () =>
      Response.json({
        type: "error",
        error: { type: "api_error", message: "Internal proxy error; see the proxy's log" },
      }, { status: 500 }),
  }, handler);
  // shutdown(): closes the listener, resolves when open requests (streams too) have finished.
  return () => server.shutdown();
}

await main();
