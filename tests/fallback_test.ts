/**
 * Fallback chains against scripted mock upstreams on 127.0.0.1: each failure kind moves on to
 * the next provider; a client error or a stream that already started does not.
 */
import assert from "node:assert/strict";
import { type Config, loadConfig } from "../lib/config.ts";
import { parseConfigFile } from "../lib/config_file.ts";
import { createHandler } from "../lib/handler.ts";
import { type MockUpstream, startMockUpstream, textChunks } from "./_servers.ts";
import { basic, post, recordingLogger } from "./_handler.ts";

const completion = (content: string) =>
  Response.json({
    id: "c",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  });

function configFor(
  providers: Record<string, unknown>[],
  routes: Record<string, unknown>,
  argv: string[] = ["--retries", "0"],
): Config {
  const file = parseConfigFile(JSON.stringify({ providers, routes }), "test.json", {});
  const result = loadConfig(argv, {}, file);
  assert.equal(result.action, "serve");
  return (result as { config: Config }).config;
}

async function withMocks(
  scripts: ((count: number) => Response | Promise<Response>)[],
  run: (mocks: MockUpstream[]) => Promise<void>,
) {
  const mocks = scripts.map((script) => startMockUpstream((_, count) => script(count)));
  try {
    await run(mocks);
  } finally {
    for (const mock of mocks) await mock.close();
  }
}

function handlerFor(config: Config) {
  const logger = recordingLogger();
  const handler = createHandler(config, { logger, sleep: () => Promise.resolve() });
  return { handler, logger };
}

const chain = (mocks: MockUpstream[], extra: Record<string, unknown> = {}) =>
  mocks.map((mock, index) => ({ name: `p${index}`, base_url: mock.url, ...extra }));
const defaultRoute = (mocks: MockUpstream[]) => ({
  default: mocks.map((_, index) => `p${index}/m${index}`),
});

for (
  const [kind, status] of [
    ["429", 429],
    ["500", 500],
    ["503", 503],
    ["529", 529],
  ] as const
) {
  Deno.test(`fallback: ${kind} from the first provider → the second answers`, async () => {
    await withMocks([
      () => Response.json({ error: { message: "busy" } }, { status }),
      () => completion("from p1"),
    ], async (mocks) => {
      const { handler, logger } = handlerFor(configFor(chain(mocks), defaultRoute(mocks)));
      const response = await handler(post("/v1/messages", basic));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-claude-proxy-provider"), "p1");
      assert.equal((await response.json()).content[0].text, "from p1");
      assert.equal(mocks[0].seen[0].body.model, "m0");
      assert.equal(mocks[1].seen[0].body.model, "m1");
      assert.ok(logger.lines.some((line) => /fallback: p0\/m0 failed .*trying p1\/m1/.test(line)));
      assert.ok(logger.lines.some((line) => /fallback: answered by p1\/m1/.test(line)));
    });
  });
}

Deno.test("fallback: connection refused → the next provider", async () => {
  const dead = startMockUpstream(() => new Response());
  await dead.close();
  await withMocks([() => completion("alive")], async ([alive]) => {
    const config = configFor(
      [{ name: "dead", base_url: dead.url }, { name: "alive", base_url: alive.url }],
      { default: ["dead/x", "alive/y"] },
    );
    const response = await handlerFor(config).handler(post("/v1/messages", basic));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-claude-proxy-provider"), "alive");
  });
});

Deno.test("fallback: first-byte timeout (per-provider) → the next provider", async () => {
  await withMocks([
    () => new Promise((resolve) => setTimeout(() => resolve(completion("late")), 1500)),
    () => completion("quick"),
  ], async (mocks) => {
    const config = configFor(
      [
        { name: "slow", base_url: mocks[0].url, timeouts: { first_byte: 0.2 } },
        { name: "quick", base_url: mocks[1].url },
      ],
      { sonnet: ["slow/a", "quick/b"] },
    );
    const started = performance.now();
    const response = await handlerFor(config).handler(post("/v1/messages", basic));
    assert.equal(response.status, 200);
    assert.equal((await response.json()).content[0].text, "quick");
    assert.equal(response.headers.get("x-claude-proxy-provider"), "quick");
    assert.ok(performance.now() - started < 1400);
  });
});

Deno.test("fallback: postUpstream retries each provider first, then moves on", async () => {
  await withMocks([
    () => new Response("down", { status: 502 }),
    () => completion("ok"),
  ], async (mocks) => {
    const config = configFor(chain(mocks), defaultRoute(mocks), ["--retries", "2"]);
    const response = await handlerFor(config).handler(post("/v1/messages", basic));
    assert.equal(response.status, 200);
    assert.equal(mocks[0].seen.length, 3);
    assert.equal(mocks[1].seen.length, 1);
  });
});

Deno.test("fallback: the last provider's error reaches the client when all fail", async () => {
  await withMocks([
    () => new Response("down", { status: 503 }),
    () => Response.json({ error: { message: "slow down" } }, { status: 429 }),
  ], async (mocks) => {
    const config = configFor(chain(mocks), defaultRoute(mocks));
    const response = await handlerFor(config).handler(post("/v1/messages", basic));
    assert.equal(response.status, 429);
    assert.equal((await response.json()).error.type, "rate_limit_error");
    assert.equal(response.headers.get("x-claude-proxy-provider"), "p1");
  });
});

Deno.test("fallback: a 400 is the client's problem, not a reason to fall back", async () => {
  await withMocks([
    () => Response.json({ error: { message: "bad" } }, { status: 400 }),
    () => completion("never"),
  ], async (mocks) => {
    const config = configFor(chain(mocks), defaultRoute(mocks));
    const response = await handlerFor(config).handler(post("/v1/messages", basic));
    assert.equal(response.status, 400);
    await response.body?.cancel();
    assert.equal(mocks[1].seen.length, 0);
  });
});

Deno.test("fallback: never after output reached the client (stream broken midway)", async () => {
  const encoder = new TextEncoder();
  await withMocks([
    () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (const chunk of textChunks("Hello there").slice(0, 2)) {
              controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
            }
            setTimeout(() => controller.error(new Error("connection reset")), 50);
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      ),
    () => completion("never"),
  ], async (mocks) => {
    const config = configFor(chain(mocks), defaultRoute(mocks));
    const response = await handlerFor(config).handler(
      post("/v1/messages", { ...basic, stream: true }),
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-claude-proxy-provider"), "p0");
    const text = await response.text();
    assert.match(text, /Hello/);
    assert.match(text, /event: error/);
    assert.equal(mocks[1].seen.length, 0);
  });
});

Deno.test("fallback: openai provider fails, anthropic provider answers (pass-through)", async () => {
  await withMocks([
    () => new Response("down", { status: 500 }),
    () =>
      Response.json({
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-x",
        content: [{ type: "text", text: "from anthropic" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      }),
  ], async (mocks) => {
    const config = configFor(
      [
        { name: "oai", base_url: mocks[0].url, headers: { "x-extra": "1" } },
        { name: "ant", base_url: mocks[1].url, type: "anthropic", api_key: "sk-ant" },
      ],
      { default: ["oai/gpt", "ant/claude-x"] },
    );
    const response = await handlerFor(config).handler(
      post("/v1/messages", basic, { "anthropic-version": "2023-06-01" }),
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-claude-proxy-provider"), "ant");
    assert.equal((await response.json()).content[0].text, "from anthropic");
    assert.equal(mocks[0].seen[0].headers.get("x-extra"), "1");
    assert.equal(mocks[1].seen[0].path, "/v1/messages");
    assert.equal(mocks[1].seen[0].headers.get("x-api-key"), "sk-ant");
    assert.equal(mocks[1].seen[0].body.model, "claude-x");
  });
});

Deno.test("fallback: /v1/chat/completions falls back too", async () => {
  await withMocks([
    () => new Response("down", { status: 503 }),
    () => completion("chat ok"),
  ], async (mocks) => {
    const config = configFor(chain(mocks), { "gpt-*": ["p0/a", "p1/b"] });
    const response = await handlerFor(config).handler(
      post("/v1/chat/completions", { model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-claude-proxy-provider"), "p1");
    assert.equal((await response.json()).choices[0].message.content, "chat ok");
    assert.equal(mocks[1].seen[0].body.model, "b");
  });
});

Deno.test("routing: provider/model override, per-provider max_tokens cap, flag backend", async () => {
  await withMocks([() => completion("a"), () => completion("b")], async (mocks) => {
    const config = configFor(
      [
        { name: "p0", base_url: mocks[0].url, max_tokens_cap: 50 },
        { name: "p1", base_url: mocks[1].url },
      ],
      { think: "p1/thinker" },
      ["--retries", "0", "--base-url", mocks[1].url, "--model", "flag-model"],
    );
    const { handler } = handlerFor(config);
    let response = await handler(post("/v1/messages", { ...basic, model: "p0/custom-model" }));
    assert.equal(response.headers.get("x-claude-proxy-provider"), "p0");
    await response.body?.cancel();
    assert.equal(mocks[0].seen[0].body.model, "custom-model");
    assert.equal(mocks[0].seen[0].body.max_tokens, 50);
    response = await handler(post("/v1/messages", basic));
    await response.body?.cancel();
    assert.equal(mocks[1].seen[0].body.model, "flag-model");
    response = await handler(
      post("/v1/messages", {
        ...basic,
        max_tokens: 4000,
        thinking: { type: "enabled", budget_tokens: 2000 },
      }),
    );
    await response.body?.cancel();
    assert.equal(mocks[1].seen[1].body.model, "thinker");
  });
});

Deno.test("handler: a config function is read once per request (reload)", async () => {
  await withMocks([() => completion("a"), () => completion("b")], async (mocks) => {
    let current = configFor(chain(mocks), { default: "p0/x" });
    const handler = createHandler(() => current, { logger: recordingLogger() });
    let response = await handler(post("/v1/messages", basic));
    assert.equal(response.headers.get("x-claude-proxy-provider"), "p0");
    await response.body?.cancel();
    current = configFor(chain(mocks), { default: "p1/y" });
    response = await handler(post("/v1/messages", basic));
    assert.equal(response.headers.get("x-claude-proxy-provider"), "p1");
    await response.body?.cancel();
  });
});

Deno.test("count_tokens follows the file's routes (upstream model of the first hop)", async () => {
  const config = configFor([{ name: "p0", base_url: "http://127.0.0.1:9/v1" }], {
    default: "p0/counted",
  });
  const { handler, logger } = handlerFor(config);
  const response = await handler(post("/v1/messages/count_tokens", basic));
  assert.equal(response.status, 200);
  assert.ok((await response.json()).input_tokens > 0);
  assert.ok(logger.lines.some((line) => line.includes("counted")), logger.lines.join("\n"));
});
