/**
 * The end-to-end suite for the hosted entries (Cloudflare Worker under workerd, Deno Deploy's
 * deploy.ts under `deno serve`): the official Anthropic SDK against the entry served by its real
 * runtime, in front of a scripted mock OpenAI upstream, all on 127.0.0.1. The same expectations
 * as tests/sdk_test.ts, plus what only a hosted entry has: configuration from bindings, the
 * auth-token requirement, and a config error answered as Anthropic's error envelope.
 * @module
 */
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";
import { sseText } from "./_helpers.ts";
import type { Hosted, Starter } from "./_hosted.ts";
import {
  type MockUpstream,
  type SeenRequest,
  startMockUpstream,
  textChunks,
  toolCallChunks,
} from "./_servers.ts";

type Script = (request: SeenRequest, count: number) => Response | Promise<Response>;

const TOKEN = "proxy-token-for-tests";
const BACKEND_KEY = "sk-backend-secret-binding";

const sse = (chunks: unknown[]) =>
  new Response(sseText(chunks), { headers: { "content-type": "text/event-stream" } });

const TOOLS: Anthropic.Tool[] = [{
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
}];

export interface SuiteOptions {
  /** Shown in each test's name: "workerd", "deno serve". */
  target: string;
  /** Resolves the starter (workerd needs its bundle built first). */
  starter: () => Promise<Starter>;
  ignore: boolean;
  /**
   * Whether the runtime notices a client that left while nothing is being written to it. Deno
   * does at once; workerd only on the next write (a token, or the proxy's ping after 10 s).
   */
  noticesSilentDisconnect: boolean;
  /** Checked first in every test, so a missing runtime fails with a clear message. */
  precondition: () => void;
}

/** Registers the suite's tests for one hosted runtime. */
export function hostedSuite(options: SuiteOptions): void {
  const { target } = options;
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({
      name: `${target}: ${name}`,
      ignore: options.ignore,
      async fn() {
        options.precondition();
        await fn();
      },
    });

  /** Upstream + hosted proxy (bindings on top of the defaults), always shut down. */
  async function withHosted(
    script: Script,
    body: (client: Anthropic, upstream: MockUpstream, hosted: Hosted) => Promise<void>,
    bindings: Record<string, string> = {},
  ): Promise<void> {
    const upstream = startMockUpstream(script);
    let hosted: Hosted | undefined;
    try {
      hosted = await (await options.starter())({
        OPEN_AI_URL: upstream.url,
        OPEN_MODEL: "gpt-test",
        API_KEY: BACKEND_KEY,
        PROXY_AUTH_TOKEN: TOKEN,
        ...bindings,
      });
      const client = new Anthropic({ baseURL: hosted.url, apiKey: TOKEN, maxRetries: 0 });
      await body(client, upstream, hosted);
    } finally {
      await hosted?.close();
      await upstream.close();
    }
  }

  test("SDK messages.create without streaming; the backend key comes from a secret binding", async () => {
    await withHosted(
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
      async (client, upstream, hosted) => {
        const message = await client.messages.create({
          model: "claude-sonnet-4-5",
          max_tokens: 100,
          messages: [{ role: "user", content: "Hi" }],
        });
        assert.equal(message.model, "claude-sonnet-4-5");
        assert.deepEqual(message.content, [{ type: "text", text: "Hello!" }]);
        assert.equal(message.stop_reason, "end_turn");
        assert.equal(message.usage.input_tokens, 11);
        assert.equal(message.usage.output_tokens, 2);
        assert.match(message.id, /^msg_[A-Za-z0-9]{24}$/);
        assert.equal(upstream.seen[0].headers.get("authorization"), `Bearer ${BACKEND_KEY}`);
        assert.equal(upstream.seen[0].body.model, "gpt-test");
        // HOST is ignored (a hosted entry does not listen), the log never shows the secrets.
        assert.doesNotMatch(hosted.output(), new RegExp(`${BACKEND_KEY}|${TOKEN}`));
      },
      { HOST: "0.0.0.0", PORT: "1" },
    );
  });

  test("SDK stream helper assembles the final message", async () => {
    await withHosted(() => sse(textChunks("Streaming works fine.")), async (client, upstream) => {
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
    });
  });

  const turn1 = {
    model: "claude-sonnet-4-5",
    max_tokens: 200,
    tools: TOOLS,
    messages: [{ role: "user" as const, content: "Weather in Paris?" }],
  };
  const turn2 = (first: Anthropic.Message) => ({
    ...turn1,
    messages: [
      ...turn1.messages,
      { role: "assistant" as const, content: first.content },
      {
        role: "user" as const,
        content: [{
          type: "tool_result" as const,
          tool_use_id: first.content[0].type === "tool_use" ? first.content[0].id : "",
          content: "sunny, 21°C",
        }],
      },
    ],
  });
  const toolScript: Script = (_request, count) =>
    count % 2 === 1
      ? sse(toolCallChunks("call_abc", "get_weather", { city: "Paris" }))
      : sse(textChunks("It is sunny."));

  test("SDK tool round trip: tool_use, then tool_result reaches the backend", async () => {
    await withHosted(toolScript, async (client, upstream) => {
      const first = await client.messages.stream(turn1).finalMessage();
      assert.equal(first.stop_reason, "tool_use");
      assert.deepEqual(first.content, [
        { type: "tool_use", id: "call_abc", name: "get_weather", input: { city: "Paris" } },
      ]);
      const second = await client.messages.stream(turn2(first)).finalMessage();
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

  test("stateless: turn 2 on a second instance sends what one instance sends", async () => {
    // One instance for both turns…
    let single: SeenRequest[] = [];
    await withHosted(toolScript, async (client, upstream) => {
      const first = await client.messages.stream(turn1).finalMessage();
      await client.messages.stream(turn2(first)).finalMessage();
      single = upstream.seen;
    });
    // …then turn 1 on instance A, turn 2 on a separate instance B (another process).
    const upstream = startMockUpstream(toolScript);
    const start = await options.starter();
    const bindings = {
      OPEN_AI_URL: upstream.url,
      OPEN_MODEL: "gpt-test",
      API_KEY: BACKEND_KEY,
      PROXY_AUTH_TOKEN: TOKEN,
    };
    const a = await start(bindings);
    const b = await start(bindings);
    try {
      const clientA = new Anthropic({ baseURL: a.url, apiKey: TOKEN, maxRetries: 0 });
      const clientB = new Anthropic({ baseURL: b.url, apiKey: TOKEN, maxRetries: 0 });
      const first = await clientA.messages.stream(turn1).finalMessage();
      const second = await clientB.messages.stream(turn2(first)).finalMessage();
      assert.deepEqual(second.content, [{ type: "text", text: "It is sunny." }]);
      assert.equal(upstream.seen.length, 2);
      assert.deepEqual(upstream.seen.map((seen) => seen.body), single.map((seen) => seen.body));
    } finally {
      await a.close();
      await b.close();
      await upstream.close();
    }
  });

  test("SDK maps upstream errors to typed errors with real statuses", async () => {
    const cases: Array<[Response, new (...args: never[]) => Error, number]> = [
      [
        Response.json({
          error: { message: "Incorrect API key provided", code: "invalid_api_key" },
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
      [
        Response.json({ error: { message: "upstream broke" } }, { status: 500 }),
        Anthropic.InternalServerError,
        500,
      ],
    ];
    await withHosted((_request, count) => cases[count - 1][0].clone(), async (client) => {
      for (const [, errorClass, status] of cases) {
        const error = await client.messages.create({
          model: "claude-sonnet-4-5",
          max_tokens: 10,
          stream: true,
          messages: [{ role: "user", content: "Hi" }],
        }).then(() => undefined, (caught) => caught);
        assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${error}`);
        assert.equal((error as InstanceType<typeof Anthropic.APIError>).status, status);
        assert.match(String((error as Error).message), /127\.0\.0\.1/);
        assert.doesNotMatch(String((error as Error).message), new RegExp(BACKEND_KEY));
        if (status === 429) {
          assert.equal(
            (error as InstanceType<typeof Anthropic.APIError>).headers?.get("retry-after"),
            "7",
          );
        }
      }
    }, { RETRIES: "0" });
  });

  test("SDK stream surfaces a mid-stream upstream error as an APIError", async () => {
    const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "m" };
    const body =
      `data: ${
        JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: "Hal" } }] })
      }\n\n` +
      `data: ${JSON.stringify({ error: { message: "Provider overloaded", code: 503 } })}\n\n`;
    await withHosted(
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

  test("SDK countTokens (bundled tokenizer) and models.list without an upstream call", async () => {
    await withHosted(
      () => new Response("unexpected", { status: 500 }),
      async (client, upstream) => {
        const count = await client.messages.countTokens({
          model: "claude-sonnet-4-5",
          system: "You are a helpful assistant.",
          messages: [{ role: "user", content: "How many tokens is this sentence?" }],
        });
        // The same o200k count the Deno process gives (tests/sdk_test.ts's range, exact here).
        assert.equal(count.input_tokens, 22);
        const models = [];
        for await (const model of client.models.list()) models.push(model.id);
        assert.ok(models.includes("claude-sonnet"), `got ${models}`);
        assert.ok(models.includes("gpt-test"));
        assert.equal(upstream.seen.length, 0);
      },
    );
  });

  test("the auth token is required: missing or wrong is a 401 envelope", async () => {
    await withHosted(() => sse(textChunks("no")), async (_client, upstream, hosted) => {
      const missing = await fetch(`${hosted.url}/v1/models`);
      assert.equal(missing.status, 401);
      assert.equal((await missing.json()).error.type, "authentication_error");
      const client = new Anthropic({ baseURL: hosted.url, apiKey: "wrong-token", maxRetries: 0 });
      const error = await client.messages.create({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      }).then(() => undefined, (caught) => caught);
      assert.ok(error instanceof Anthropic.AuthenticationError, `got ${error}`);
      assert.equal(error.status, 401);
      assert.equal(upstream.seen.length, 0);
    });
  });

  test("without PROXY_AUTH_TOKEN: 500 config error envelope, no upstream call", async () => {
    await withHosted(() => sse(textChunks("no")), async (client, upstream, hosted) => {
      const error = await client.messages.create({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      }).then(() => undefined, (caught) => caught);
      assert.ok(error instanceof Anthropic.InternalServerError, `got ${error}`);
      assert.equal(error.status, 500);
      assert.match(error.message, /PROXY_AUTH_TOKEN/);
      assert.match(error.message, /ALLOW_UNAUTHENTICATED=true/);
      // The raw body is exactly Anthropic's envelope.
      const response = await fetch(`${hosted.url}/healthz`);
      assert.equal(response.status, 500);
      const body = await response.json();
      assert.equal(body.type, "error");
      assert.equal(body.error.type, "api_error");
      assert.match(body.request_id, /^req_/);
      assert.equal(response.headers.get("request-id"), body.request_id);
      assert.equal(upstream.seen.length, 0);
    }, { PROXY_AUTH_TOKEN: "" });
  });

  test("a bad binding value is a 500 envelope naming the binding", async () => {
    await withHosted(() => sse(textChunks("no")), async (_client, _upstream, hosted) => {
      const response = await fetch(`${hosted.url}/v1/messages`, { method: "POST", body: "{}" });
      assert.equal(response.status, 500);
      const body = await response.json();
      assert.equal(body.type, "error");
      assert.match(body.error.message, /RETRIES must be a whole number/);
    }, { RETRIES: "lots" });
  });

  test("ALLOW_UNAUTHENTICATED=true serves without a token, forwarding the client's key", async () => {
    await withHosted(() => sse(textChunks("Open.")), async (_client, upstream, hosted) => {
      const client = new Anthropic({ baseURL: hosted.url, apiKey: "sk-client-own", maxRetries: 0 });
      const message = await client.messages.stream({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      }).finalMessage();
      assert.deepEqual(message.content, [{ type: "text", text: "Open." }]);
      assert.equal(upstream.seen[0].headers.get("authorization"), "Bearer sk-client-own");
    }, { PROXY_AUTH_TOKEN: "", API_KEY: "", ALLOW_UNAUTHENTICATED: "true" });
  });

  for (const upstreamSends of ["tokens", "nothing"] as const) {
    if (upstreamSends === "nothing" && !options.noticesSilentDisconnect) continue;
    test(`a client that disconnects mid-stream cancels the upstream request (upstream sends ${upstreamSends})`, async () => {
      await cancellation(upstreamSends);
    });
  }

  async function cancellation(upstreamSends: "tokens" | "nothing"): Promise<void> {
    const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "m" };
    const encoder = new TextEncoder();
    const delta = (content: string) =>
      encoder.encode(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content } }] })}\n\n`,
      );
    let timer: ReturnType<typeof setInterval> | undefined;
    // A long answer: a token every 100 ms (or only SSE comments, a silent backend) for up to
    // 15 s unless the proxy cancels it.
    const endless = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(delta("Hel"));
            let beats = 0;
            timer = setInterval(() => {
              if (++beats > 150) {
                clearInterval(timer);
                controller.close();
              } else {
                controller.enqueue(
                  upstreamSends === "tokens"
                    ? delta(" lo")
                    : encoder.encode(": still thinking\n\n"),
                );
              }
            }, 100);
          },
          cancel() {
            clearInterval(timer);
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    await withHosted(endless, async (_client, upstream, hosted) => {
      const controller = new AbortController();
      const response = await fetch(`${hosted.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": TOKEN },
        body: JSON.stringify({
          model: "claude-sonnet-4-5",
          max_tokens: 10,
          stream: true,
          messages: [{ role: "user", content: "Hi" }],
        }),
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      let text = "";
      while (!text.includes("Hel")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      assert.match(text, /event: message_start/);
      const started = performance.now();
      controller.abort();
      await reader.cancel().catch(() => {});
      let deadline: ReturnType<typeof setTimeout> | undefined;
      const closedInTime = await Promise.race([
        upstream.closed.then(() => true),
        new Promise<boolean>((resolve) => deadline = setTimeout(() => resolve(false), 5_000)),
      ]);
      clearTimeout(deadline);
      assert.ok(closedInTime, "the upstream request was still open 5 s after the client left");
      assert.ok(performance.now() - started < 5_000);
    });
    clearInterval(timer);
  }
}
