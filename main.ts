/**
 * CLI entry: argv/env (+ .env) → config → handler → Deno.serve or Bun.serve.
 * The only file that touches runtime-specific APIs.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { parseEnv } from "node:util";
import {
  type Config,
  ConfigError,
  createHandler,
  helpText,
  loadConfig,
  VERSION,
} from "./lib/mod.ts";
import { envFileFlag } from "./lib/config.ts";

declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Promise<Response>;
    idleTimeout: number;
  }): { port: number; stop(force?: boolean): void };
} | undefined;

function fail(message: string): never {
  // deno-lint-ignore no-console
  console.error(`claude-proxy: ${message}`);
  process.exit(2);
}

function readEnv(argv: string[]): Record<string, string | undefined> {
  const explicit = envFileFlag(argv);
  const path = explicit ?? ".env";
  let fileEnv: Record<string, string> = {};
  if (explicit !== undefined || existsSync(path)) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      fail(`cannot read --env-file ${path}: ${(error as Error).message}`);
    }
    fileEnv = parseEnv(text) as Record<string, string>;
  }
  // The environment wins over the file.
  return { ...fileEnv, ...process.env };
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
  return lines.join("\n");
}

function main(): void {
  const argv = process.argv.slice(2);
  let config: Config;
  try {
    const result = loadConfig(argv, readEnv(argv));
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
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const handler = createHandler(config);
  const announce = (port: number) => {
    // deno-lint-ignore no-console
    console.error(
      `claude-proxy ${VERSION} listening on http://${config.host}:${port}\n  ${describe(config)}`,
    );
  };
  let stop: () => void;
  try {
    stop = serve(config, handler, announce);
  } catch (error) {
    fail(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const shutdown = () => {
    stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

function serve(
  config: Config,
  handler: (request: Request) => Promise<Response>,
  announce: (port: number) => void,
): () => void {
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
    return () => server.stop(true);
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
  return () => void server.shutdown();
}

main();
