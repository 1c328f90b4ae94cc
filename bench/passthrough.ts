/**
 * The floor the proxy is compared against: a minimal forwarder with no translation. It reads the
 * whole request body, POSTs it unchanged to the upstream and streams the answer back, so its cost
 * is the runtime's HTTP server plus fetch client and nothing else. It runs under Deno
 * (`Deno.serve`, the "limit") and under Bun (`Bun.serve`, the floor for the Bun-built binary).
 *
 *   deno run --allow-net=127.0.0.1 bench/passthrough.ts PORT UPSTREAM_BASE_URL
 *   bun bench/passthrough.ts PORT UPSTREAM_BASE_URL
 *
 * Prints `passthrough listening on http://127.0.0.1:PORT` once ready (PORT 0 picks a free port).
 * @module
 */
import process from "node:process";

const port = Number(process.argv[2] ?? "0");
const upstream = process.argv[3];
if (!Number.isInteger(port) || port < 0 || !upstream) {
  // deno-lint-ignore no-console
  console.error("usage: passthrough.ts PORT UPSTREAM_BASE_URL");
  process.exit(2);
}
const target = `${upstream.replace(/\/+$/, "")}/chat/completions`;

async function forward(request: Request): Promise<Response> {
  const body = await request.text();
  const response = await fetch(target, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: request.headers.get("authorization") ?? "",
    },
    body,
    signal: request.signal,
  });
  return new Response(response.body, {
    status: response.status,
    headers: { "content-type": response.headers.get("content-type") ?? "application/json" },
  });
}

function listening(port: number) {
  // deno-lint-ignore no-console
  console.log(`passthrough listening on http://127.0.0.1:${port}`);
}
const bun = (globalThis as { Bun?: BunLike }).Bun;
if (bun) {
  const server = bun.serve({ hostname: "127.0.0.1", port, idleTimeout: 0, fetch: forward });
  listening(server.port);
  process.on("SIGTERM", () => {
    server.stop();
    process.exit(0);
  });
} else {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: ({ port }) => listening(port) },
    forward,
  );
  Deno.addSignalListener("SIGTERM", () => {
    server.shutdown().finally(() => Deno.exit(0));
  });
}

interface BunLike {
  serve(options: {
    hostname: string;
    port: number;
    idleTimeout: number;
    fetch: (request: Request) => Promise<Response>;
  }): { port: number; stop(): void };
}
