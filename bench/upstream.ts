/**
 * A fixed-answer mock OpenAI upstream for the load benchmark.
 *
 *   deno run --allow-net=127.0.0.1 bench/upstream.ts PORT [CHUNKS]
 *
 * Any POST /v1/chat/completions is read whole and parsed; `stream: true` gets an SSE stream of
 * CHUNKS text chunks (plus finish, usage and [DONE]) written in one go, anything else a small
 * JSON completion. `POST /bench/chunks/N` changes the chunk count for later requests. Prints
 * `upstream listening on http://127.0.0.1:PORT` once ready (PORT 0 picks a free port).
 * @module
 */
import { openAICompletion, openAISseText } from "./fixtures.ts";

const port = Number(Deno.args[0] ?? "0");
let chunks = Number(Deno.args[1] ?? "20");
if (!Number.isInteger(port) || port < 0 || !Number.isInteger(chunks) || chunks < 1) {
  // deno-lint-ignore no-console
  console.error("usage: upstream.ts PORT [CHUNKS]");
  Deno.exit(2);
}

const encoder = new TextEncoder();
const completion = encoder.encode(JSON.stringify(openAICompletion()));
const streams = new Map<number, Uint8Array<ArrayBuffer>>();
const sseBytes = (n: number) => {
  let bytes = streams.get(n);
  if (!bytes) streams.set(n, bytes = encoder.encode(openAISseText(n)));
  return bytes;
};
const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen({ port }) {
    // deno-lint-ignore no-console
    console.log(`upstream listening on http://127.0.0.1:${port}`);
  },
}, async (request) => {
  const path = new URL(request.url).pathname;
  if (request.method === "POST" && path.endsWith("/chat/completions")) {
    let body: { stream?: unknown };
    try {
      body = JSON.parse(await request.text());
    } catch {
      return new Response('{"error":{"message":"bad JSON"}}', {
        status: 400,
        headers: JSON_HEADERS,
      });
    }
    if (body.stream === true) return new Response(sseBytes(chunks), { headers: SSE_HEADERS });
    return new Response(completion, { headers: JSON_HEADERS });
  }
  const control = /^\/bench\/chunks\/(\d+)$/.exec(path);
  if (request.method === "POST" && control) {
    await request.body?.cancel();
    chunks = Math.max(1, Number(control[1]));
    return new Response(`${chunks}\n`);
  }
  await request.body?.cancel();
  return new Response("not found", { status: 404 });
});

Deno.addSignalListener("SIGTERM", () => {
  server.shutdown().finally(() => Deno.exit(0));
});
