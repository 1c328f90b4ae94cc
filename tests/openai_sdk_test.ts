/**
 * End to end with the official `openai` SDK: the real proxy process (or the compiled binary,
 * CLAUDE_PROXY_BIN) in front of a scripted mock Anthropic upstream, all on 127.0.0.1.
 */
import OpenAI from "openai";
import assert from "node:assert/strict";
import { fixtureText } from "./_helpers.ts";
import { type SeenRequest, startMockUpstream, startProxy } from "./_servers.ts";

type Script = (request: SeenRequest, count: number) => Response | Promise<Response>;

async function withProxy(
  script: Script,
  body: (client: OpenAI, upstream: ReturnType<typeof startMockUpstream>) => Promise<void>,
  args: string[] = [],
): Promise<void> {
  const upstream = startMockUpstream(script);
  // The Anthropic base URL is the API root: the proxy appends /v1/messages.
  const base = upstream.url.replace(/\/v1$/, "");
  const proxy = await startProxy([
    "--base-url",
    base,
    "--backend-type",
    "anthropic",
    "--sonnet-model",
    "claude-sonnet-4-5-20250929",
    ...args,
  ]);
  try {
    const client = new OpenAI({
      baseURL: `${proxy.url}/v1`,
      apiKey: "sk-ant-client",
      maxRetries: 0,
    });
    await body(client, upstream);
  } finally {
    await proxy.close();
    await upstream.close();
  }
}

const sse = (name: string) =>
  new Response(fixtureText(`anthropic/${name}`), {
    headers: { "content-type": "text/event-stream" },
  });

const message = (content: unknown[], stop_reason = "end_turn") =>
  Response.json({
    id: "msg_01XFDUDYJgAACzvnptvVoYEL",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5-20250929",
    content,
    stop_reason,
    stop_sequence: null,
    usage: {
      input_tokens: 20,
      output_tokens: 4,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 5,
    },
  });

Deno.test("openai SDK: chat.completions.create against an Anthropic backend", async () => {
  await withProxy(() => message([{ type: "text", text: "Bonjour!" }]), async (client, upstream) => {
    const completion = await client.chat.completions.create({
      model: "claude-sonnet-4-5",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say hello in French" },
      ],
    });
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.model, "claude-sonnet-4-5");
    assert.equal(completion.choices[0].message.content, "Bonjour!");
    assert.equal(completion.choices[0].finish_reason, "stop");
    assert.equal(completion.usage?.prompt_tokens, 25);
    assert.equal(completion.usage?.completion_tokens, 4);
    assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 5);
    const seen = upstream.seen[0];
    assert.equal(seen.path, "/v1/messages");
    assert.equal(seen.headers.get("x-api-key"), "sk-ant-client");
    assert.equal(seen.headers.get("anthropic-version"), "2023-06-01");
    assert.equal(seen.headers.get("authorization"), null);
    assert.equal(seen.body.model, "claude-sonnet-4-5-20250929");
    assert.equal(seen.body.system, "You are terse.");
    assert.equal(seen.body.max_tokens, 4096);
    assert.deepEqual(seen.body.messages, [{
      role: "user",
      content: [{ type: "text", text: "Say hello in French" }],
    }]);
  });
});

Deno.test("openai SDK: stream helper assembles text and include_usage totals", async () => {
  await withProxy(() => sse("text.sse"), async (client, upstream) => {
    const deltas: string[] = [];
    const stream = client.chat.completions.stream({
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "Hi" }],
      stream_options: { include_usage: true },
    });
    stream.on("content", (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    assert.equal(final.choices[0].message.content, "Hello there!");
    assert.equal(final.choices[0].finish_reason, "stop");
    assert.equal(deltas.join(""), "Hello there!");
    assert.equal(final.usage?.prompt_tokens, 100);
    assert.equal(final.usage?.completion_tokens, 5);
    assert.equal(final.usage?.total_tokens, 105);
    assert.equal(upstream.seen[0].body.stream, true);
  });
});

Deno.test("openai SDK: raw stream iteration with create({stream:true})", async () => {
  await withProxy(() => sse("thinking.sse"), async (client) => {
    const stream = await client.chat.completions.create({
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "27*453?" }],
      stream: true,
      reasoning_effort: "low",
    });
    let text = "";
    let reasoning = "";
    let finish: string | null = null;
    const ids = new Set<string>();
    for await (const chunk of stream) {
      ids.add(chunk.id);
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? "";
      reasoning += (choice?.delta as { reasoning_content?: string })?.reasoning_content ?? "";
      finish = choice?.finish_reason ?? finish;
    }
    assert.equal(text, "27 * 453 = 12,231");
    assert.match(reasoning, /12231/);
    assert.equal(finish, "stop");
    assert.equal(ids.size, 1);
  });
});

Deno.test("openai SDK: tools round trip (parallel calls streamed, results sent back)", async () => {
  await withProxy(
    (_request, count) =>
      count === 1 ? sse("parallel_tool_use.sse") : message([{ type: "text", text: "Both mild." }]),
    async (client, upstream) => {
      const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather for a city",
          parameters: { type: "object", properties: { city: { type: "string" } } },
        },
      }];
      const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
        { role: "user", content: "Weather in Paris and Tokyo?" },
      ];
      const stream = client.chat.completions.stream({
        model: "claude-sonnet-4-5",
        messages,
        tools,
      });
      const first = await stream.finalChatCompletion();
      const reply = first.choices[0].message;
      assert.equal(first.choices[0].finish_reason, "tool_calls");
      assert.equal(reply.content, "I'll check both cities.");
      const calls = reply.tool_calls!.filter((call) => call.type === "function");
      assert.deepEqual(
        calls.map((call) => [call.id, call.function.name, JSON.parse(call.function.arguments)]),
        [
          ["toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", { city: "Paris" }],
          ["toolu_01Bv2fLQW3N5FhkXc9VRxa2Z", "get_weather", { city: "Tokyo" }],
        ],
      );
      messages.push({ role: "assistant", content: reply.content, tool_calls: reply.tool_calls });
      for (const call of calls) {
        messages.push({ role: "tool", tool_call_id: call.id, content: `18C in ${call.id}` });
      }
      const second = await client.chat.completions.create({
        model: "claude-sonnet-4-5",
        messages,
        tools,
      });
      assert.equal(second.choices[0].message.content, "Both mild.");
      const sent = upstream.seen[1].body as { messages: { role: string; content: unknown[] }[] };
      assert.deepEqual(sent.messages.map((turn) => turn.role), ["user", "assistant", "user"]);
      assert.deepEqual(sent.messages[1].content, [
        { type: "text", text: "I'll check both cities." },
        {
          type: "tool_use",
          id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
          name: "get_weather",
          input: { city: "Paris" },
        },
        {
          type: "tool_use",
          id: "toolu_01Bv2fLQW3N5FhkXc9VRxa2Z",
          name: "get_weather",
          input: { city: "Tokyo" },
        },
      ]);
      assert.deepEqual(sent.messages[2].content.map((block) => (block as { type: string }).type), [
        "tool_result",
        "tool_result",
      ]);
    },
  );
});

Deno.test("openai SDK: JSON mode (json_schema) answers as message content", async () => {
  await withProxy(
    () =>
      message(
        [{
          type: "tool_use",
          id: "toolu_1",
          name: "json_response",
          input: { city: "Paris", c: 18 },
        }],
        "tool_use",
      ),
    async (client, upstream) => {
      const completion = await client.chat.completions.create({
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: "Weather as JSON" }],
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "weather",
            schema: {
              type: "object",
              properties: { city: { type: "string" }, c: { type: "number" } },
              required: ["city", "c"],
            },
          },
        },
      });
      assert.deepEqual(JSON.parse(completion.choices[0].message.content!), {
        city: "Paris",
        c: 18,
      });
      assert.equal(completion.choices[0].finish_reason, "stop");
      assert.equal(completion.choices[0].message.tool_calls, undefined);
      assert.deepEqual(upstream.seen[0].body.tool_choice, { type: "tool", name: "json_response" });
    },
  );
});

Deno.test("openai SDK: errors arrive as typed APIErrors in OpenAI's shape", async () => {
  await withProxy(
    (request) => {
      const text = JSON.stringify(request.body.messages);
      if (text.includes("overload")) {
        return Response.json({
          type: "error",
          error: { type: "overloaded_error", message: "Overloaded" },
        }, { status: 529 });
      }
      if (text.includes("midstream")) return sse("error.sse");
      return Response.json({
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "prompt is too long: 210000 tokens > 200000 maximum",
        },
      }, { status: 400 });
    },
    async (client) => {
      const ask = (content: string, extra: Record<string, unknown> = {}) =>
        client.chat.completions.create({
          model: "claude-sonnet-4-5",
          messages: [{ role: "user", content }],
          ...extra,
        });
      await assert.rejects(ask("overload"), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 503);
        assert.equal(error.code, "server_is_overloaded");
        return true;
      });
      await assert.rejects(ask("long"), (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.equal(error.code, "context_length_exceeded");
        assert.match(error.message, /prompt is too long/);
        return true;
      });
      await assert.rejects(ask("two", { n: 2 }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.match(error.message, /n: only 1/);
        return true;
      });
      await assert.rejects(
        (async () => {
          const stream = await client.chat.completions.create({
            model: "claude-sonnet-4-5",
            messages: [{ role: "user", content: "midstream" }],
            stream: true,
          });
          for await (const _chunk of stream) { /* drain */ }
        })(),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.APIError);
          assert.match(error.message, /Overloaded/);
          return true;
        },
      );
    },
    ["--retries", "0"],
  );
});

Deno.test("openai SDK: models.list parses the OpenAI-style list", async () => {
  await withProxy(() => new Response(null, { status: 500 }), async (client) => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes("claude-sonnet"));
    assert.ok(ids.includes("claude-sonnet-4-5-20250929"));
  });
});
