/**
 * Same-dialect pairs: Anthropic client → anthropic backend, OpenAI client → openai backend.
 * Bodies and streams arrive unchanged apart from the model name and auth; backend types are
 * configured and inferred.
 */
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import type { Config } from "../lib/config.ts";
import { countTokensUrl, messagesUrl } from "../lib/dialect.ts";
import { fixtureText, sseResponse, sseText } from "./_helpers.ts";
import { config, handlerWith, post } from "./_handler.ts";
import { withModel } from "../lib/routes/passthrough.ts";
import { startMockUpstream, startProxy, textChunks } from "./_servers.ts";

function configOf(args: string[], env: Record<string, string> = {}): Config {
  const result = loadConfig(args, env);
  assert.equal(result.action, "serve");
  return (result as { config: Config }).config;
}

Deno.test("backend type: inferred from the host, set by flag or env, per tier", () => {
  assert.equal(configOf([]).backend.type, "openai");
  const anthropic = configOf(["--base-url", "https://api.anthropic.com"]);
  assert.equal(anthropic.backend.type, "anthropic");
  assert.equal(anthropic.tiers.haiku.type, "anthropic");
  const bare = configOf(["--backend-type", "anthropic"]);
  assert.equal(bare.backend.baseUrl, "https://api.anthropic.com");
  assert.equal(configOf([], { BACKEND_TYPE: "anthropic" }).backend.type, "anthropic");
  const mixed = configOf([
    "--base-url",
    "https://api.openai.com/v1",
    "--opus-base-url",
    "https://api.anthropic.com",
    "--haiku-backend-type",
    "anthropic",
    "--haiku-base-url",
    "https://vendor.example/anthropic",
  ]);
  assert.equal(mixed.backend.type, "openai");
  assert.equal(mixed.tiers.opus.type, "anthropic");
  assert.equal(mixed.tiers.haiku.type, "anthropic");
  assert.equal(mixed.tiers.sonnet.type, "openai");
  assert.throws(() => configOf(["--backend-type", "grpc"]), /openai, anthropic/);
});

Deno.test("messagesUrl joins base URLs with and without /v1", () => {
  assert.equal(messagesUrl("https://api.anthropic.com"), "https://api.anthropic.com/v1/messages");
  assert.equal(messagesUrl("https://x.test/api/v1"), "https://x.test/api/v1/messages");
  assert.equal(messagesUrl("https://x.test/v1/messages"), "https://x.test/v1/messages");
  assert.equal(
    messagesUrl("https://x.test/anthropic?k=1"),
    "https://x.test/anthropic/v1/messages?k=1",
  );
  assert.equal(
    countTokensUrl("https://x.test/anthropic?k=1"),
    "https://x.test/anthropic/v1/messages/count_tokens?k=1",
  );
  assert.equal(countTokensUrl("https://x.test/v1"), "https://x.test/v1/messages/count_tokens");
});

const anthropicConfig = (extra: string[] = []) =>
  config([
    "--base-url",
    "http://upstream.test",
    "--backend-type",
    "anthropic",
    "--model",
    "claude-opus-4-1",
    ...extra,
  ]);

Deno.test("Anthropic → anthropic: body relayed with the model mapped, headers kept, key injected", async () => {
  const upstreamBody = JSON.stringify({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-opus-4-1",
    content: [{ type: "text", text: "hi" }],
    stop_reason: "end_turn",
    usage: { input_tokens: 1, output_tokens: 1 },
  });
  const { handler, requests } = handlerWith(
    () => new Response(upstreamBody, { headers: { "content-type": "application/json" } }),
    anthropicConfig(["--api-key", "sk-ant-configured"]),
  );
  const request = {
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "Hi" }],
    thinking: { type: "enabled", budget_tokens: 2048 },
    container: "c1",
  };
  const response = await handler(post("/v1/messages", request, {
    "x-api-key": "sk-client",
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "interleaved-thinking-2025-05-14",
  }));
  assert.equal(response.status, 200);
  assert.equal(await response.text(), upstreamBody);
  const sent = requests[0];
  assert.equal(sent.url, "http://upstream.test/v1/messages");
  assert.equal(sent.headers.get("x-api-key"), "sk-ant-configured");
  assert.equal(sent.headers.get("authorization"), null);
  assert.equal(sent.headers.get("anthropic-version"), "2023-06-01");
  assert.equal(sent.headers.get("anthropic-beta"), "interleaved-thinking-2025-05-14");
  assert.deepEqual(await sent.json(), { ...request, model: "claude-opus-4-1" });
});

Deno.test("Anthropic → anthropic: the stream is relayed byte for byte; client key forwarded", async () => {
  const text = fixtureText("anthropic/thinking.sse");
  const { handler, requests } = handlerWith(() => sseResponse(text), anthropicConfig());
  const response = await handler(post("/v1/messages", {
    model: "claude-haiku-4-5",
    max_tokens: 10,
    stream: true,
    messages: [{ role: "user", content: "Hi" }],
  }, { authorization: "Bearer sk-client", "anthropic-version": "2023-06-01" }));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  assert.equal(await response.text(), text);
  assert.equal(requests[0].headers.get("x-api-key"), "sk-client");
});

Deno.test("Anthropic → anthropic: a client gone mid-stream is logged as such, not as a failure", async () => {
  const text = fixtureText("anthropic/thinking.sse");
  let upstreamAborted = false;
  const { handler, logger } = handlerWith((request) => {
    // Half the stream, then silence; aborting the request fails the read, as fetch's body does.
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text.slice(0, text.length / 2)));
          request.signal.addEventListener("abort", () => {
            upstreamAborted = true;
            controller.error(request.signal.reason);
          });
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  }, anthropicConfig());
  const client = new AbortController();
  const response = await handler(
    new Request(
      post("/v1/messages", {
        model: "claude-haiku-4-5",
        max_tokens: 10,
        stream: true,
        messages: [{ role: "user", content: "Hi" }],
      }, { "anthropic-version": "2023-06-01" }),
      { signal: client.signal },
    ),
  );
  const reader = response.body!.getReader();
  await reader.read();
  const pending = reader.read();
  client.abort();
  await pending.catch(() => {});
  await reader.cancel().catch(() => {});
  const line = logger.lines.find((entry) => entry.includes("POST /v1/messages"));
  assert.match(line ?? "", /^info .* 200 .*error: client disconnected$/);
  assert.equal(upstreamAborted, true);
});

Deno.test("withModel replaces only a top-level model, and only when that is certain", () => {
  const body =
    '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}';
  assert.equal(
    withModel(body, "claude-sonnet-4-5", "gpt-x"),
    body.replace('"claude-sonnet-4-5"', '"gpt-x"'),
  );
  // Later in the object, with other keys before it, and a name that needs escaping.
  assert.equal(
    withModel('{"max_tokens":1, "model":"a\\"b"}', 'a"b', "c"),
    '{"max_tokens":1, "model":"c"}',
  );
  // "model" inside a string is escaped (\"model\"), so it is not the key.
  assert.equal(
    withModel('{"x":"\\"model\\":","model":"claude-sonnet-4-5"}', "claude-sonnet-4-5", "gpt-x"),
    '{"x":"\\"model\\":","model":"gpt-x"}',
  );
  const refused = [
    '{"model" : "claude-sonnet-4-5"}', // spaced colon
    '{"model":"claude-sonnet-4-5","metadata":{"model":"claude-sonnet-4-5"}}', // twice
    '{"messages":[{"model":"claude-sonnet-4-5"}],"mod\\u0065l":"claude-sonnet-4-5"}', // nested
    '{"role":"model","model":"claude-sonnet-4-5"}', // also a value
    `{"pad":"${"x".repeat(5000)}","model":"claude-sonnet-4-5"}`, // past the first 4 KB
  ];
  for (const text of refused) {
    assert.equal(withModel(text, "claude-sonnet-4-5", "gpt-x"), undefined, text);
  }
  assert.equal(withModel(body, 42, "gpt-x"), undefined);
});

Deno.test("Anthropic → anthropic: the body goes upstream as sent, only the model changed", async () => {
  const { handler, requests } = handlerWith(
    () => Response.json({ type: "message", content: [], usage: {} }),
    anthropicConfig(),
  );
  // Key order and spacing a client might use; JSON.stringify would rewrite both.
  const sent = '{"model":"claude-haiku-4-5", "max_tokens": 10,\n "messages": [{"role": "user", ' +
    '"content": "Hi \\u00e9"}], "stream": false}';
  await handler(post("/v1/messages", sent, { "anthropic-version": "2023-06-01" }));
  assert.equal(await requests[0].text(), sent.replace("claude-haiku-4-5", "claude-opus-4-1"));
});

Deno.test("count_tokens: an anthropic backend counts for itself, model mapped, key injected", async () => {
  const { handler, requests } = handlerWith(
    () => Response.json({ input_tokens: 4321 }),
    anthropicConfig(["--api-key", "sk-backend"]),
  );
  const response = await handler(post("/v1/messages/count_tokens", {
    model: "claude-sonnet-4-5",
    messages: [{ role: "user", content: "Hi" }],
  }, { "anthropic-version": "2023-06-01", "anthropic-beta": "token-counting-2024-11-01" }));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { input_tokens: 4321 });
  assert.equal(requests.length, 1);
  assert.equal(requests[0].url, "http://upstream.test/v1/messages/count_tokens");
  assert.equal(requests[0].headers.get("x-api-key"), "sk-backend");
  assert.equal(requests[0].headers.get("anthropic-beta"), "token-counting-2024-11-01");
  const sent = await requests[0].json();
  assert.equal(sent.model, "claude-opus-4-1");
  assert.deepEqual(sent.messages, [{ role: "user", content: "Hi" }]);
});

Deno.test("count_tokens: a backend without the endpoint, or failing, is counted locally", async () => {
  const body = { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "Hello there" }] };
  const answers = [
    () => Response.json({ type: "error", error: { type: "not_found_error" } }, { status: 404 }),
    () => Response.json({ ok: true }), // no input_tokens
    () => new Response("<html>", { status: 200, headers: { "content-type": "text/html" } }),
  ];
  for (const answer of answers) {
    const { handler, requests, logger } = handlerWith(answer, anthropicConfig());
    const response = await handler(post("/v1/messages/count_tokens", body));
    assert.equal(response.status, 200);
    const { input_tokens } = await response.json();
    assert.ok(Number.isInteger(input_tokens) && input_tokens > 0, String(input_tokens));
    assert.equal(requests.length, 1);
    assert.ok(
      logger.lines.some((line) => /^warn count_tokens: .*counted locally$/.test(line)),
      logger.lines.join("\n"),
    );
  }
});

Deno.test("Anthropic → anthropic: upstream errors keep Anthropic's envelope", async () => {
  const { handler } = handlerWith(
    () =>
      Response.json({ type: "error", error: { type: "rate_limit_error", message: "slow down" } }, {
        status: 429,
        headers: { "retry-after": "3" },
      }),
    anthropicConfig(),
  );
  const response = await handler(post("/v1/messages", {
    model: "claude-sonnet-4-5",
    max_tokens: 10,
    messages: [{ role: "user", content: "Hi" }],
  }));
  assert.equal(response.status, 429);
  assert.equal(response.headers.get("retry-after"), "3");
  const body = await response.json();
  assert.equal(body.type, "error");
  assert.equal(body.error.type, "rate_limit_error");
  assert.match(body.error.message, /slow down/);
});

Deno.test("OpenAI → openai: body and stream relayed with the model mapped and Bearer key", async () => {
  const text = sseText(textChunks("Relayed as is."));
  const { handler, requests } = handlerWith(
    () => sseResponse(text),
    config(["--model", "gpt-test", "--api-key", "sk-configured"]),
  );
  const request = {
    model: "gpt-4o",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "Hi" }],
    logprobs: true,
    n: 2,
  };
  const response = await handler(post("/v1/chat/completions", request, {
    authorization: "Bearer sk-client",
  }));
  assert.equal(response.status, 200);
  assert.equal(await response.text(), text);
  assert.equal(requests[0].url, "http://upstream.test/v1/chat/completions");
  assert.equal(requests[0].headers.get("authorization"), "Bearer sk-configured");
  assert.deepEqual(await requests[0].json(), { ...request, model: "gpt-test" });
});

Deno.test("OpenAI → openai: upstream errors come back in OpenAI's envelope", async () => {
  const { handler } = handlerWith(
    () =>
      Response.json({
        error: {
          message: "Incorrect API key",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      }, { status: 401 }),
  );
  const response = await handler(post("/v1/chat/completions", {
    model: "gpt-4o",
    messages: [{ role: "user", content: "Hi" }],
  }));
  assert.equal(response.status, 401);
  const body = await response.json();
  assert.equal(body.error.code, "invalid_api_key");
  assert.equal(body.error.param, null);
  assert.match(body.error.message, /Incorrect API key/);
  assert.equal(body.type, undefined);
});

Deno.test("/v1/chat/completions validation errors use OpenAI's envelope", async () => {
  const { handler } = handlerWith(() => new Response("unused"), anthropicConfig());
  const response = await handler(post("/v1/chat/completions", { model: "x", messages: [] }));
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.error.type, "invalid_request_error");
  assert.match(body.error.message, /messages/);
});

Deno.test("/v1/models: OpenAI list without anthropic-version, both shapes with it", async () => {
  const { handler } = handlerWith(() => new Response("unused"), config(["--model", "gpt-test"]));
  const openai = await (await handler(
    new Request("http://proxy.test/v1/models", {
      headers: { authorization: "Bearer k" },
    }),
  )).json();
  assert.equal(openai.object, "list");
  assert.equal(openai.has_more, undefined);
  assert.deepEqual(Object.keys(openai.data[0]).sort(), ["created", "id", "object", "owned_by"]);
  const anthropic = await (await handler(
    new Request("http://proxy.test/v1/models", {
      headers: { "anthropic-version": "2023-06-01", authorization: "Bearer k" },
    }),
  )).json();
  assert.equal(anthropic.has_more, false);
  assert.equal(anthropic.data[0].type, "model");
  assert.ok(anthropic.first_id);
});

Deno.test("OpenAI → anthropic: an error as the first stream event is a real 503 in OpenAI's shape", async () => {
  const { handler } = handlerWith(
    () =>
      sseResponse(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      ),
    anthropicConfig(),
  );
  const response = await handler(post("/v1/chat/completions", {
    model: "claude-sonnet-4-5",
    stream: true,
    messages: [{ role: "user", content: "Hi" }],
  }));
  assert.equal(response.status, 503);
  const body = await response.json();
  assert.equal(body.error.code, "server_is_overloaded");
  assert.match(body.error.message, /Overloaded/);
});

Deno.test("Anthropic SDK through the real proxy to an anthropic backend: stream relayed", async () => {
  const text = fixtureText("anthropic/parallel_tool_use.sse");
  const upstream = startMockUpstream(() =>
    new Response(text, { headers: { "content-type": "text/event-stream" } })
  );
  const proxy = await startProxy([
    "--base-url",
    upstream.url.replace(/\/v1$/, ""),
    "--backend-type",
    "anthropic",
    "--api-key",
    "sk-ant-server",
    "--model",
    "claude-opus-4-1",
  ]);
  try {
    const client = new Anthropic({ baseURL: proxy.url, apiKey: "sk-client", maxRetries: 0 });
    const message = await client.messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "Weather?" }],
    }, { headers: { "anthropic-beta": "fine-grained-tool-streaming-2025-05-14" } }).finalMessage();
    assert.equal(message.stop_reason, "tool_use");
    assert.deepEqual(
      message.content.filter((block) => block.type === "tool_use").map((block) => block.input),
      [{ city: "Paris" }, { city: "Tokyo" }],
    );
    const seen = upstream.seen[0];
    assert.equal(seen.path, "/v1/messages");
    assert.equal(seen.headers.get("x-api-key"), "sk-ant-server");
    assert.equal(seen.headers.get("anthropic-beta"), "fine-grained-tool-streaming-2025-05-14");
    assert.equal(seen.body.model, "claude-opus-4-1");
    assert.equal(seen.body.stream, true);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});
