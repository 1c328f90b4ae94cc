/**
 * End to end with the official Anthropic SDK: the real proxy process (or the compiled binary,
 * CLAUDE_PROXY_BIN) in front of a scripted mock OpenAI upstream, all on 127.0.0.1.
 */
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";
import { sseText } from "./_helpers.ts";
import {
  type SeenRequest,
  startMockUpstream,
  startProxy,
  textChunks,
  toolCallChunks,
} from "./_servers.ts";

type Script = (request: SeenRequest, count: number) => Response | Promise<Response>;

/** Runs `body` against a fresh upstream + proxy pair and always shuts both down. */
async function withProxy(
  script: Script,
  body: (client: Anthropic, upstream: ReturnType<typeof startMockUpstream>) => Promise<void>,
  args: string[] = [],
): Promise<void> {
  const upstream = startMockUpstream(script);
  const proxy = await startProxy(["--base-url", upstream.url, "--model", "gpt-test", ...args]);
  try {
    const client = new Anthropic({ baseURL: proxy.url, apiKey: "sk-client-key", maxRetries: 0 });
    await body(client, upstream);
  } finally {
    await proxy.close();
    await upstream.close();
  }
}

const sse = (chunks: unknown[]) =>
  new Response(sseText(chunks), { headers: { "content-type": "text/event-stream" } });

Deno.test("SDK messages.create without streaming", async () => {
  await withProxy(
    () =>
      Response.json({
        id: "chatcmpl-9",
        object: "chat.completion",
        choices: [{
          index: 0,
          message: { role: "assistant", content: "Hello!" },
          finish_reason: "stop",
        }],
        usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 },
      }),
    async (client, upstream) => {
      const message = await client.messages.create({
        model: "claude-sonnet-4-5",
        max_tokens: 100,
        messages: [{ role: "user", content: "Hi" }],
      });
      assert.equal(message.model, "claude-sonnet-4-5");
      assert.deepEqual(message.content, [{ type: "text", text: "Hello!" }]);
      assert.equal(message.stop_reason, "end_turn");
      assert.deepEqual(message.usage, {
        input_tokens: 11,
        output_tokens: 2,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      });
      assert.match(message.id, /^msg_[A-Za-z0-9]{24}$/);
      // The client's key was forwarded as a Bearer token (no key configured).
      assert.equal(upstream.seen[0].headers.get("authorization"), "Bearer sk-client-key");
      assert.equal(upstream.seen[0].body.model, "gpt-test");
    },
  );
});

Deno.test("SDK stream helper assembles the final message", async () => {
  await withProxy(() => sse(textChunks("Streaming works fine.")), async (client, upstream) => {
    const texts: string[] = [];
    const stream = client.messages.stream({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "Hi" }],
    });
    stream.on("text", (text) => texts.push(text));
    const message = await stream.finalMessage();
    assert.deepEqual(message.content, [{ type: "text", text: "Streaming works fine." }]);
    assert.equal(texts.join(""), "Streaming works fine.");
    assert.equal(message.stop_reason, "end_turn");
    assert.equal(message.usage.output_tokens, 5);
    assert.equal(message.usage.input_tokens, 12);
    assert.equal(upstream.seen[0].body.stream, true);
    assert.deepEqual(upstream.seen[0].body.stream_options, { include_usage: true });
  });
});

Deno.test("SDK tool round trip: tool_use, then tool_result reaches the backend", async () => {
  const script: Script = (_request, count) =>
    count === 1
      ? sse(toolCallChunks("call_abc", "get_weather", { city: "Paris" }))
      : sse(textChunks("It is sunny."));
  await withProxy(script, async (client, upstream) => {
    const tools: Anthropic.Tool[] = [{
      name: "get_weather",
      description: "Weather for a city",
      input_schema: {
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
      },
    }];
    const first = await client.messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 200,
      tools,
      messages: [{ role: "user", content: "Weather in Paris?" }],
    }).finalMessage();
    assert.equal(first.stop_reason, "tool_use");
    assert.deepEqual(first.content, [
      { type: "tool_use", id: "call_abc", name: "get_weather", input: { city: "Paris" } },
    ]);
    const second = await client.messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 200,
      tools,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "call_abc", content: "sunny, 21°C" }],
        },
      ],
    }).finalMessage();
    assert.deepEqual(second.content, [{ type: "text", text: "It is sunny." }]);
    assert.deepEqual(upstream.seen[1].body.messages, [
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{
          id: "call_abc",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris"}' },
        }],
      },
      { role: "tool", tool_call_id: "call_abc", content: "sunny, 21°C" },
    ]);
  });
});

Deno.test("SDK receives thinking then text when thinking is requested", async () => {
  const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "m" };
  const chunks = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", reasoning_content: "Let me think." } }],
    },
    { ...base, choices: [{ index: 0, delta: { content: "42" } }] },
    {
      ...base,
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    },
  ];
  await withProxy(() => sse(chunks), async (client) => {
    const message = await client.messages.stream({
      model: "claude-opus-4-5",
      max_tokens: 4000,
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [{ role: "user", content: "Answer?" }],
    }).finalMessage();
    assert.equal(message.content.length, 2);
    const [thinking, text] = message.content;
    assert.equal(thinking.type, "thinking");
    assert.equal(thinking.type === "thinking" && thinking.thinking, "Let me think.");
    assert.ok(thinking.type === "thinking" && thinking.signature.startsWith("cp1."));
    assert.deepEqual(text, { type: "text", text: "42" });
  });
});

Deno.test("SDK maps upstream errors to typed errors with real statuses", async () => {
  const cases: Array<[Response, new (...args: never[]) => Error, number]> = [
    [
      Response.json({
        error: {
          message: "Incorrect API key provided",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      }, { status: 401 }),
      Anthropic.AuthenticationError,
      401,
    ],
    [
      Response.json({ error: { message: "Rate limit reached", code: "rate_limit_exceeded" } }, {
        status: 429,
        headers: { "retry-after": "7" },
      }),
      Anthropic.RateLimitError,
      429,
    ],
    [
      Response.json({
        error: { message: "The model `nope` does not exist", code: "model_not_found" },
      }, { status: 404 }),
      Anthropic.NotFoundError,
      404,
    ],
  ];
  for (const [response, errorClass, status] of cases) {
    await withProxy(() => response.clone(), async (client) => {
      const error = await client.messages.create({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        stream: true,
        messages: [{ role: "user", content: "Hi" }],
      }).then(() => undefined, (caught) => caught);
      assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${error}`);
      assert.equal((error as InstanceType<typeof Anthropic.APIError>).status, status);
      assert.match(String((error as Error).message), /127\.0\.0\.1/);
      if (status === 429) {
        assert.equal(
          (error as InstanceType<typeof Anthropic.APIError>).headers?.get("retry-after"),
          "7",
        );
      }
    });
  }
});

Deno.test("SDK stream surfaces a mid-stream upstream error as an APIError", async () => {
  const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "m" };
  const body =
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: "Hal" } }] })}\n\n` +
    `data: ${JSON.stringify({ error: { message: "Provider overloaded", code: 503 } })}\n\n`;
  await withProxy(
    () => new Response(body, { headers: { "content-type": "text/event-stream" } }),
    async (client) => {
      const stream = client.messages.stream({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      });
      const error = await stream.finalMessage().then(() => undefined, (caught) => caught);
      assert.ok(error instanceof Anthropic.APIError, `got ${error}`);
      assert.match(String(error.message), /overloaded/i);
    },
  );
});

Deno.test("SDK reports an unreachable upstream as a 502 naming the backend", async () => {
  // A port nothing listens on: bind one, then close it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const proxy = await startProxy([
    "--base-url",
    `http://127.0.0.1:${port}/v1`,
    "--api-key",
    "sk-secret-configured",
  ]);
  try {
    const client = new Anthropic({ baseURL: proxy.url, apiKey: "x", maxRetries: 0 });
    const error = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "Hi" }],
    }).then(() => undefined, (caught) => caught);
    assert.ok(error instanceof Anthropic.InternalServerError, `got ${error}`);
    assert.equal(error.status, 502);
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(error.message + proxy.stderr(), /sk-secret-configured/);
  } finally {
    await proxy.close();
  }
});

Deno.test("SDK countTokens and models.list work without an upstream call", async () => {
  await withProxy(() => new Response("unexpected", { status: 500 }), async (client, upstream) => {
    const count = await client.messages.countTokens({
      model: "claude-sonnet-4-5",
      system: "You are a helpful assistant.",
      messages: [{ role: "user", content: "How many tokens is this sentence?" }],
    });
    assert.ok(count.input_tokens > 10 && count.input_tokens < 40, `got ${count.input_tokens}`);
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    assert.ok(models.includes("claude-sonnet"), `got ${models}`);
    assert.ok(models.includes("gpt-test"));
    assert.equal(upstream.seen.length, 0);
  });
});
