/**
 * The floor the proxy is compared against: a minimal Deno forwarder with no translation. It
 * reads the whole request body, POSTs it unchanged to the upstream and streams the answer back,
 * so its cost is Deno's HTTP server plus fetch client and nothing else.
 *
 *   deno run --allow-net=127.0.0.1 bench/passthrough.ts PORT UPSTREAM_BASE_URL
 *
 * Prints `passthrough listening on http://127.0.0.1:PORT` once ready (PORT 0 picks a free port).
 * @module
 */
const port = Number(Deno.args[0] ?? "0");
const upstream = Deno.args[1];
if (!Number.isInteger(port) || port < 0 || !upstream) {
  // deno-lint-ignore no-console
  console.error("usage: passthrough.ts PORT UPSTREAM_BASE_URL");
  Deno.exit(2);
}
const target = `${upstream.replace(/\/+$/, "")}/chat/completions`;

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen({ port }) {
    // deno-lint-ignore no-console
    console.log(`passthrough listening on http://127.0.0.1:${port}`);
  },
}, async (request) => {
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
});

Deno.addSignalListener("SIGTERM", () => {
  server.shutdown().finally(() => Deno.exit(0));
});
