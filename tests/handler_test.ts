/**
 * The handler in-process with a fake upstream fetch: routing, statuses, error envelopes,
 * authentication, tiers, streaming edge cases and logging.
 */
import assert from "node:assert/strict";
import { createHandler } from "../lib/handler.ts";
import { sseResponse, sseText } from "./_helpers.ts";
import {
  basic,
  completion,
  config,
  errorOf,
  handlerWith,
  post,
  recordingLogger,
} from "./_handler.ts";
import { startMockUpstream, textChunks } from "./_servers.ts";

Deno.test("handler answers CORS preflight, healthz, and 404 in Anthropic's envelope", async () => {
  const { handler, requests } = handlerWith(() => completion("x"));
  const preflight = await handler(
    new Request("http://proxy.test/v1/messages", { method: "OPTIONS" }),
  );
  assert.equal(preflight.status, 204);
  // CORS is off unless --cors-origin is given.
  assert.equal(preflight.headers.get("access-control-allow-origin"), null);
  const cors = handlerWith(() => completion("x"), config(["--cors-origin", "https://app.test"]));
  const allowed = await cors.handler(
    new Request("http://proxy.test/v1/messages", { method: "OPTIONS" }),
  );
  assert.equal(allowed.status, 204);
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.test");
  assert.match(allowed.headers.get("access-control-allow-headers")!, /x-api-key/);
  const answered = await cors.handler(post("/v1/messages", basic));
  assert.equal(answered.headers.get("access-control-allow-origin"), "https://app.test");
  const health = await handler(new Request("http://proxy.test/healthz"));
  assert.deepEqual(await health.json(), { status: "ok" });
  const missing = await handler(new Request("http://proxy.test/v2/nothing"));
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get("request-id")!, /^req_/);
  const error = await errorOf(missing);
  assert.equal(error.type, "not_found_error");
  assert.match(error.message, /GET \/v2\/nothing/);
  assert.equal(requests.length, 0);
});

Deno.test("handler rejects bad client input with a 400 naming the problem", async () => {
  const { handler, requests } = handlerWith(() => completion("x"));
  const cases: Array<[unknown, RegExp]> = [
    ["{not json", /not valid JSON/],
    ["", /empty/],
    ["[1,2]", /must be a JSON object/],
    [{ ...basic, max_tokens: undefined }, /^max_tokens: Field required$/],
    [{ ...basic, model: undefined }, /^model: Field required$/],
    [{ ...basic, messages: "hi" }, /^messages: /],
    [{ ...basic, messages: [{ role: "robot", content: "x" }] }, /^messages\.0\.role: /],
    [
      { ...basic, messages: [{ role: "user", content: [{ type: "text", text: 3 }] }] },
      /^messages\.0\.content\.0\.text: /,
    ],
    [{ ...basic, max_tokens: "ten" }, /^max_tokens: /],
  ];
  for (const [body, message] of cases) {
    const response = await handler(post("/v1/messages", body));
    assert.equal(response.status, 400, JSON.stringify(body));
    const error = await errorOf(response);
    assert.equal(error.type, "invalid_request_error");
    assert.match(error.message, message);
  }
  assert.equal(requests.length, 0);
});

Deno.test("handler accepts ?beta=true, unknown fields and unknown block types", async () => {
  const { handler, requests, logger } = handlerWith(() => completion("fine"));
  const response = await handler(post("/v1/messages?beta=true", {
    ...basic,
    context_management: { edits: [] },
    brand_new_field: { x: 1 },
    messages: [{
      role: "user",
      content: [{ type: "text", text: "Hi" }, {
        type: "server_tool_use",
        id: "s",
        name: "web_search",
        input: {},
      }],
    }],
    tools: [{ type: "web_search_20250305", name: "web_search" }],
  }, { "anthropic-beta": "claude-code-20250219", "anthropic-version": "2023-06-01" }));
  assert.equal(response.status, 200);
  const sent = await requests[0].json();
  assert.deepEqual(sent, {
    model: "claude-sonnet-4-5",
    messages: [{ role: "user", content: "Hi" }],
    max_tokens: 100,
  });
  assert.ok(logger.lines.some((line) => /server_tool_use/.test(line)));
  assert.ok(logger.lines.some((line) => /web_search_20250305/.test(line)));
});

Deno.test("handler forwards the client's key, or the configured one instead", async () => {
  for (
    const [cfg, headers, expected] of [
      [config(), { "x-api-key": "sk-client" }, "Bearer sk-client"],
      [config(), { authorization: "Bearer sk-token" }, "Bearer sk-token"],
      [
        config(["--api-key", "sk-configured"]),
        { "x-api-key": "sk-client" },
        "Bearer sk-configured",
      ],
      [config(), {}, null],
    ] as const
  ) {
    const { handler, requests } = handlerWith(() => completion("x"), cfg);
    const response = await handler(post("/v1/messages", basic, headers));
    assert.equal(response.status, 200);
    assert.equal(requests[0].headers.get("authorization"), expected);
    assert.equal(requests[0].url, "http://upstream.test/v1/chat/completions");
  }
});

Deno.test("handler routes tiers to their own backend, key and model", async () => {
  const cfg = config([
    "--model",
    "big",
    "--haiku-model",
    "small",
    "--haiku-base-url",
    "http://fast.test/v1",
    "--haiku-api-key",
    "sk-haiku",
    "--api-key",
    "sk-main",
  ]);
  const { handler, requests } = handlerWith(() => completion("x"), cfg);
  const haiku = await handler(
    post("/v1/messages", { ...basic, model: "claude-3-5-haiku-20241022" }),
  );
  assert.equal((await haiku.json()).model, "claude-3-5-haiku-20241022");
  const opus = await handler(post("/v1/messages", { ...basic, model: "claude-opus-5-5" }));
  assert.equal(opus.status, 200);
  assert.equal(requests[0].url, "http://fast.test/v1/chat/completions");
  assert.equal(requests[0].headers.get("authorization"), "Bearer sk-haiku");
  assert.equal((await requests[0].json()).model, "small");
  assert.equal(requests[1].url, "http://upstream.test/v1/chat/completions");
  assert.equal(requests[1].headers.get("authorization"), "Bearer sk-main");
  assert.equal((await requests[1].json()).model, "big");
});

Deno.test("handler maps upstream errors to Anthropic statuses and types", async () => {
  const cases: Array<[Response, number, string, RegExp]> = [
    [
      Response.json({ error: { message: "Incorrect API key provided", code: "invalid_api_key" } }, {
        status: 401,
      }),
      401,
      "authentication_error",
      /Incorrect API key.*--api-key/,
    ],
    [
      Response.json({
        error: {
          message: "This model's maximum context length is 128000 tokens",
          code: "context_length_exceeded",
        },
      }, { status: 400 }),
      400,
      "invalid_request_error",
      /^prompt is too long: /,
    ],
    [
      Response.json({
        error: { message: "You exceeded your current quota", type: "insufficient_quota" },
      }, { status: 429 }),
      402,
      "billing_error",
      /quota/,
    ],
    [
      Response.json({ error: { message: "slow down" } }, {
        status: 429,
        headers: { "retry-after": "3" },
      }),
      429,
      "rate_limit_error",
      /slow down/,
    ],
    [
      Response.json({ error: { message: "forbidden" } }, { status: 403 }),
      403,
      "permission_error",
      /forbidden/,
    ],
    [
      Response.json({ error: { message: "model gpt-9 not found" } }, { status: 404 }),
      404,
      "not_found_error",
      /model gpt-9.*--model/,
    ],
    [
      new Response("<html><body>Bad Gateway</body></html>", { status: 500 }),
      500,
      "api_error",
      /500: Bad Gateway/,
    ],
    [
      Response.json({ error: { message: "overloaded" } }, { status: 503 }),
      529,
      "overloaded_error",
      /overloaded/,
    ],
    [
      Response.json([{
        error: { code: 400, message: "Invalid JSON payload received.", status: "INVALID_ARGUMENT" },
      }], { status: 400 }),
      400,
      "invalid_request_error",
      /Invalid JSON payload/,
    ],
  ];
  for (const [upstream, status, type, message] of cases) {
    const { handler } = handlerWith(() => upstream.clone());
    for (const stream of [false, true]) {
      const response = await handler(post("/v1/messages", { ...basic, stream }));
      assert.equal(response.status, status, `${type} stream=${stream}`);
      if (status === 429) assert.equal(response.headers.get("retry-after"), "3");
      const error = await errorOf(response);
      assert.equal(error.type, type);
      assert.match(error.message, message);
      assert.match(error.message, /http:\/\/upstream\.test\/v1/);
    }
  }
});

Deno.test("handler turns an error as the stream's first event into a real HTTP error", async () => {
  const { handler } = handlerWith(() =>
    sseResponse(
      `data: ${JSON.stringify({ error: { message: "Rate limited upstream", code: 429 } })}\n\n`,
    )
  );
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  assert.equal(response.status, 429);
  assert.equal((await errorOf(response)).type, "rate_limit_error");
});

Deno.test("handler reports an unreachable upstream as 502 naming it", async () => {
  const { handler } = handlerWith(() =>
    Promise.reject(new TypeError("error sending request: Connection refused"))
  );
  const response = await handler(post("/v1/messages", basic));
  assert.equal(response.status, 502);
  const error = await errorOf(response);
  assert.equal(error.type, "api_error");
  assert.match(
    error.message,
    /Cannot reach upstream http:\/\/upstream\.test\/v1: .*Connection refused/,
  );
});

Deno.test("handler answers max_tokens 0 without calling upstream", async () => {
  const { handler, requests } = handlerWith(() => completion("x"));
  const response = await handler(post("/v1/messages", { ...basic, max_tokens: 0 }));
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.deepEqual(body.content, []);
  const streamed = await handler(post("/v1/messages", { ...basic, max_tokens: 0, stream: true }));
  assert.equal(streamed.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.match(await streamed.text(), /event: message_stop/);
  assert.equal(requests.length, 0);
});

Deno.test("handler streams a JSON answer to a streaming request as events", async () => {
  const { handler } = handlerWith(() => completion("whole"));
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const text = await response.text();
  assert.deepEqual(
    [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]),
    [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ],
  );
  assert.match(text, /"text":"whole"/);
});

Deno.test("handler sends pings while the upstream is silent, then the answer", async () => {
  const chunks = textChunks("late answer");
  const { handler } = handlerWith(
    () => {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          await new Promise((resolve) => setTimeout(resolve, 400));
          controller.enqueue(new TextEncoder().encode(sseText(chunks)));
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
    config(),
    { timing: { peekMs: 50, pingMs: 100 } },
  );
  const started = performance.now();
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  assert.ok(performance.now() - started < 300, "the 200 was held past the peek bound");
  const text = await response.text();
  const events = [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);
  assert.equal(events[0], "message_start");
  assert.ok(events.includes("ping"), events.join(","));
  assert.equal(events.at(-1), "message_stop");
  assert.match(text, /"text":"late "}.*\n[^]*"text":"answer"/);
});

Deno.test("handler logs one line per request without keys; debug bodies redacted", async () => {
  const cfg = config(["--api-key", "sk-configured-secret-1", "--log-level", "debug"]);
  const { handler, logger } = handlerWith(() => sseResponse(sseText(textChunks("hello"))), cfg);
  const response = await handler(
    post("/v1/messages", { ...basic, stream: true }, { "x-api-key": "sk-client-secret-2" }),
  );
  await response.text();
  const info = logger.lines.filter((line) => line.startsWith("info"));
  assert.equal(info.length, 1, logger.lines.join("\n"));
  assert.match(
    info[0],
    /^info POST \/v1\/messages claude-sonnet-4-5 → claude-sonnet-4-5 stream 200 [\d.]+ms in=12 out=5$/,
  );
  assert.ok(logger.lines.some((line) => line.startsWith("debug upstream request")));
  // The recording logger sees raw messages; the real logger redacts: check it does.
  const { redact } = await import("../lib/log.ts");
  assert.equal(
    redact('{"api_key":"abc","x":"sk-configured-secret-1"}', ["sk-configured-secret-1"]),
    '{"api_key":"[redacted]","x":"[redacted]"}',
  );
  assert.doesNotMatch(logger.lines.join("\n"), /sk-configured-secret-1|sk-client-secret-2/);
});

Deno.test("handler count_tokens counts locally and repeatably", async () => {
  const { handler, requests } = handlerWith(() => completion("x"));
  const count = async (body: unknown) => {
    const response = await handler(post("/v1/messages/count_tokens", body));
    assert.equal(response.status, 200);
    return (await response.json()).input_tokens as number;
  };
  const small = await count({
    model: "claude-sonnet-4-5",
    messages: [{ role: "user", content: "Hello there" }],
  });
  const again = await count({
    model: "claude-sonnet-4-5",
    messages: [{ role: "user", content: "Hello there" }],
  });
  const large = await count({
    model: "claude-sonnet-4-5",
    system: "You are a careful assistant. ".repeat(50),
    tools: [{
      name: "Read",
      description: "Read a file",
      input_schema: { type: "object", properties: { path: { type: "string" } } },
    }],
    messages: [{ role: "user", content: "Hello there" }],
  });
  assert.ok(small > 2 && small < 20, String(small));
  assert.equal(again, small);
  assert.ok(large > small + 250, `${large} vs ${small}`);
  assert.equal(requests.length, 0);
  const bad = await handler(post("/v1/messages/count_tokens", { messages: [] }));
  assert.equal(bad.status, 400);
});

Deno.test("served handler aborts the upstream request when the client disconnects", async () => {
  let release: () => void = () => {};
  const hold = new Promise<void>((resolve) => (release = resolve));
  const upstream = startMockUpstream(() => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(
          encoder.encode(sseText(textChunks("first words ").slice(0, 2), { done: false })),
        );
        await hold;
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const handler = createHandler(config(["--base-url", upstream.url]), {
    logger: recordingLogger(),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  try {
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/v1/messages`, {
      method: "POST",
      body: JSON.stringify({ ...basic, stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /message_start/);
    abort.abort();
    const outcome = await Promise.race([
      upstream.closed.then(() => "closed"),
      new Promise((resolve) => setTimeout(() => resolve("still open"), 3000)),
    ]);
    assert.equal(outcome, "closed");
  } finally {
    release();
    await server.shutdown();
    await upstream.close();
  }
});

Deno.test("handler ends the stream with an error event when the upstream connection breaks", async () => {
  const { handler } = handlerWith(() => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(
          new TextEncoder().encode(sseText(textChunks("partial ").slice(0, 2), { done: false })),
        );
      },
      pull(controller) {
        controller.error(new TypeError("connection reset by peer"));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  assert.equal(response.status, 200);
  const text = await response.text();
  const events = [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);
  assert.deepEqual(events, [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "error",
  ]);
  assert.match(text, /failed mid-stream: connection reset by peer/);
});

Deno.test("handler finishes at [DONE] even when the upstream keeps the connection open", async () => {
  let cancelled = false;
  const { handler } = handlerWith(() => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(sseText(textChunks("done early"))));
      },
      cancel() {
        cancelled = true;
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  const text = await response.text();
  assert.match(text, /event: message_stop\n/);
  assert.equal(cancelled, true);
});
