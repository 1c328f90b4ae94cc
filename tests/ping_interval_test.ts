/**
 * --ping-interval: how long a streamed answer may stay silent before the proxy sends `ping`
 * (reasoning backends can think for minutes before their first token).
 */
import assert from "node:assert/strict";
import { type Config, ConfigError, loadConfig } from "../lib/config.ts";
import { createHandler } from "../lib/handler.ts";
import { sseText } from "./_helpers.ts";
import { textChunks } from "./_servers.ts";

function config(argv: string[], env: Record<string, string> = {}): Config {
  const action = loadConfig(argv, env);
  assert.equal(action.action, "serve");
  return (action as { config: Config }).config;
}

Deno.test("--ping-interval: flag, PING_INTERVAL, default 10 s, and bad values", () => {
  assert.equal(config([]).pingIntervalMs, 10_000);
  assert.equal(config(["--ping-interval", "30"]).pingIntervalMs, 30_000);
  assert.equal(config([], { PING_INTERVAL: "2.5" }).pingIntervalMs, 2_500);
  assert.equal(config(["--ping-interval=5"], { PING_INTERVAL: "60" }).pingIntervalMs, 5_000);
  assert.throws(() => loadConfig(["--ping-interval", "0"], {}), ConfigError);
  assert.throws(() => loadConfig([], { PING_INTERVAL: "soon" }), /PING_INTERVAL must be a number/);
});

/** Streams an answer after `delayMs` of silence; returns the event names the client saw. */
async function eventsWith(argv: string[], delayMs: number): Promise<string[]> {
  const handler = createHandler(config(["--base-url", "http://upstream.test/v1", ...argv]), {
    fetch: () => {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          controller.enqueue(new TextEncoder().encode(sseText(textChunks("late"))));
          controller.close();
        },
      });
      return Promise.resolve(
        new Response(body, { headers: { "content-type": "text/event-stream" } }),
      );
    },
    logger: { enabled: () => false, log: () => {} },
    // Commit the 200 at once; the ping interval comes from the configuration.
    timing: { peekMs: 20 },
  });
  const response = await handler(
    new Request("http://proxy.test/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "Hi" }],
      }),
    }),
  );
  const text = await response.text();
  return [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);
}

Deno.test("--ping-interval is what the handler's streams use", async () => {
  const fast = await eventsWith(["--ping-interval", "0.1"], 500);
  assert.equal(fast[0], "message_start");
  assert.ok(fast.filter((name) => name === "ping").length >= 2, fast.join(","));
  assert.equal(fast.at(-1), "message_stop");
  // The default (10 s) sends none in half a second.
  const slow = await eventsWith([], 500);
  assert.equal(slow.filter((name) => name === "ping").length, 0, slow.join(","));
  assert.equal(slow.at(-1), "message_stop");
});
