/**
 * Reasoning that survives the round trip (issue 3, protocol A.6): turn 1's upstream stream is
 * translated for the client, the client's copy of the answer goes back in turn 2's history, and
 * turn 2's upstream request must carry turn 1's reasoning (DeepSeek, Kimi, GLM) or thought
 * signatures (Gemini 3) — and nothing the proxy did not make.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { type Config, loadConfig } from "../lib/config.ts";
import { resolveRoute } from "../lib/model_map.ts";
import { ChatCompletion } from "../lib/openai/schema.ts";
import type { ChatMessage } from "../lib/openai/schema.ts";
import {
  type RequestOptions,
  SKIP_THOUGHT_SIGNATURE,
} from "../lib/translate/anthropic_request_to_openai.ts";
import { openAIResponseToAnthropic } from "../lib/translate/openai_response_to_anthropic.ts";
import { isProxySignature, proxySignature } from "../lib/translate/signature.ts";
import { clientToolId, decodeToolId, upstreamToolId } from "../lib/translate/tool_names.ts";
import type { StreamEvent } from "../lib/anthropic/schema.ts";
import { handlerWith, post } from "./_handler.ts";
import { accumulate, assertGrammar, fixtureText, sseResponse, translateSse } from "./_helpers.ts";
import { translate } from "./_request.ts";

const GEMINI_SIGNATURE =
  "CmQBcsjafKz8k3Q2nJd0Xh7vYt1LwR5eUo9sGbT4aPqZ6mNcVfHiK2yDxE0jWlS8rB3uA7gO1pMtQkCnJ5vXzY9dRwL4hFeT6sUaGqPo2iKmNbVcXzL0yHtRwE=";

function config(argv: string[]): Config {
  const action = loadConfig(argv, {});
  if (action.action !== "serve") throw new Error("expected a serve action");
  return action.config;
}

/** The translation options a route gives (what the messages route passes). */
function optionsFor(argv: string[], model = "claude-sonnet-4-5"): Partial<RequestOptions> {
  const route = resolveRoute(config(argv), model);
  return { model: route.model, ...route.options };
}

/** Turn 1 streamed from a fixture, as the client stores it. */
async function turnOne(fixture: string, thinking = true): Promise<Record<string, unknown>[]> {
  const events = await translateSse(fixtureText(fixture), { thinking });
  assertGrammar(events);
  return accumulate(events) as Record<string, unknown>[];
}

/** Turn 2: the user's question, turn 1's answer, and a result for each of its tool calls. */
function turnTwo(content: Record<string, unknown>[]): Record<string, unknown>[] {
  const results = content.filter((block) => block.type === "tool_use").map((block) => ({
    type: "tool_result",
    tool_use_id: block.id,
    content: "sunny, 21°C",
  }));
  return [
    { role: "user", content: "What is the weather in Paris?" },
    { role: "assistant", content },
    { role: "user", content: results },
  ];
}

type Assistant = Extract<ChatMessage, { role: "assistant" }>;
const assistants = (messages: ChatMessage[]) =>
  messages.filter((message): message is Assistant => message.role === "assistant");

Deno.test("DeepSeek: turn 2 carries turn 1's reasoning as reasoning_content, never as text", async () => {
  const content = await turnOne("openai/deepseek_reasoning_tool_call.sse");
  const thinking = content.find((block) => block.type === "thinking")!;
  ok(isProxySignature(thinking.signature as string));
  const tool = content.find((block) => block.type === "tool_use")!;

  const options = optionsFor(["--provider", "deepseek", "--model", "deepseek-v4-flash"]);
  equal(options.reasoningHistory, "all");
  const out = translate({ messages: turnTwo(content) }, options).value;
  const [assistant] = assistants(out.messages);
  equal(assistant.reasoning_content, thinking.thinking);
  ok((assistant.reasoning_content ?? "").length > 20);
  equal(assistant.tool_calls![0].id, upstreamToolId(tool.id as string));
  ok(!JSON.stringify(out.messages.map((m) => m.content)).includes(String(thinking.thinking)));
  ok(!JSON.stringify(out).includes("cp1."), "the proxy signature never goes upstream");
});

Deno.test('DeepSeek V4 style: every assistant message gets reasoning_content, "" if none', () => {
  const signed = { type: "thinking", thinking: "Plan: list files.", signature: proxySignature() };
  const messages = [
    { role: "user", content: "hi" },
    { role: "assistant", content: "Hello!" },
    { role: "user", content: "list files" },
    {
      role: "assistant",
      content: [signed, { type: "tool_use", id: "call_1", name: "Bash", input: {} }],
    },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "a.txt" }] },
  ];
  const out = translate({ messages }, { reasoningHistory: "all" }).value.messages;
  deepStrictEqual(assistants(out).map((message) => message.reasoning_content), [
    "",
    "Plan: list files.",
  ]);
});

Deno.test("DeepSeek R1 style: reasoning only after the last user message", () => {
  const think = (text: string) => ({
    type: "thinking",
    thinking: text,
    signature: proxySignature(),
  });
  const messages = [
    { role: "user", content: "first" },
    { role: "assistant", content: [think("old reasoning"), { type: "text", text: "done" }] },
    { role: "user", content: "second" },
    {
      role: "assistant",
      content: [think("new reasoning"), { type: "tool_use", id: "c2", name: "Bash", input: {} }],
    },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "c2", content: "ok" }] },
    { role: "assistant", content: [{ type: "text", text: "no reasoning here" }] },
  ];
  const out = translate({ messages }, { reasoningHistory: "after-last-user" }).value.messages;
  deepStrictEqual(assistants(out).map((message) => message.reasoning_content), [
    undefined,
    "new reasoning",
    undefined,
  ]);
  equal(
    optionsFor(["--provider", "deepseek", "--model", "deepseek-r1"]).reasoningHistory,
    "after-last-user",
  );
});

Deno.test("reasoning history: only proxy-signed thinking, and off by default for OpenAI", () => {
  const messages = [
    { role: "user", content: "q" },
    {
      role: "assistant",
      content: [
        // A real Anthropic signature: from another backend, never restored or forwarded.
        { type: "thinking", thinking: "anthropic reasoning", signature: "EqQBCkYIARgC..." },
        { type: "redacted_thinking", data: "opaque" },
        { type: "thinking", thinking: "   ", signature: proxySignature() },
        { type: "text", text: "answer" },
      ],
    },
    { role: "user", content: "again" },
  ];
  const out = translate({ messages }, { reasoningHistory: "all" }).value;
  equal(assistants(out.messages)[0].reasoning_content, "");
  ok(!JSON.stringify(out).includes("anthropic reasoning"));
  ok(!JSON.stringify(out).includes("EqQBCkYIARgC"));
  const plain = translate({ messages: turnTwoOfText() }, optionsFor([])).value;
  ok(!("reasoning_content" in assistants(plain.messages)[0]));
});

function turnTwoOfText() {
  return [
    { role: "user", content: "q" },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "mine", signature: proxySignature() },
        { type: "text", text: "a" },
      ],
    },
    { role: "user", content: "q2" },
  ];
}

Deno.test("reasoning history is on by default for DeepSeek, Kimi and GLM, by host or model", () => {
  equal(optionsFor(["--base-url", "https://api.deepseek.com"]).reasoningHistory, "all");
  equal(optionsFor(["--base-url", "https://api.moonshot.ai/v1"]).reasoningHistory, "all");
  equal(optionsFor(["--base-url", "https://open.bigmodel.cn/api/paas/v4"]).reasoningHistory, "all");
  equal(
    optionsFor(["--base-url", "http://localhost:11434/v1", "--model", "deepseek-r1:14b"])
      .reasoningHistory,
    "after-last-user",
  );
  equal(
    optionsFor(["--base-url", "https://x.test/v1", "--model", "kimi-k2-thinking"]).reasoningHistory,
    "all",
  );
  equal(
    optionsFor(["--base-url", "https://x.test/v1", "--model", "glm-4.6"]).reasoningHistory,
    "all",
  );
  equal(
    optionsFor(["--base-url", "https://x.test/v1", "--model", "qwen3"]).reasoningHistory,
    "off",
  );
  // Groq rejects unknown message fields: off even for a DeepSeek model; the switch still wins.
  equal(
    optionsFor(["--provider", "groq", "--model", "deepseek-r1-distill"]).reasoningHistory,
    "off",
  );
  equal(
    optionsFor(["--provider", "groq", "--reasoning-history", "after-last-user"]).reasoningHistory,
    "after-last-user",
  );
  equal(
    optionsFor(["--provider", "deepseek", "--reasoning-history", "off"]).reasoningHistory,
    "off",
  );
});

Deno.test("Gemini 3: the thought signature rides in the tool id and comes back next turn", async () => {
  // Thinking not requested: the carrier is the tool id, which clients always send back.
  const content = await turnOne("openai/gemini_tool_call_finish_stop.sse", false);
  deepStrictEqual(content.map((block) => block.type), ["tool_use"]);
  const id = content[0].id as string;
  ok(/^[a-zA-Z0-9_-]+$/.test(id), "a tool id Claude clients accept");
  deepStrictEqual(decodeToolId(id), {
    id: "function-call-5193384761730651342",
    thoughtSignature: GEMINI_SIGNATURE,
  });

  const options = optionsFor(["--provider", "gemini", "--model", "gemini-3-flash-preview"]);
  equal(options.thoughtSignatures, true);
  const out = translate({ messages: turnTwo(content) }, options).value.messages;
  deepStrictEqual(out.slice(1, 3), [
    {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "function-call-5193384761730651342",
        type: "function",
        function: { name: "get_weather", arguments: '{"location":"Paris"}' },
        extra_content: { google: { thought_signature: GEMINI_SIGNATURE } },
      }],
    },
    { role: "tool", tool_call_id: "function-call-5193384761730651342", content: "sunny, 21°C" },
  ]);

  // Another backend gets the plain id and never Gemini's signature.
  const openai = translate({ messages: turnTwo(content) }, optionsFor([])).value;
  equal(assistants(openai.messages)[0].tool_calls![0].id, "function-call-5193384761730651342");
  ok(!JSON.stringify(openai).includes(GEMINI_SIGNATURE));
  ok(!JSON.stringify(openai).includes("extra_content"));
});

Deno.test("Gemini 3: signatures from a non-streamed answer and a metadata-only delta", async () => {
  const completion = ChatCompletion.parse({
    choices: [{
      index: 0,
      finish_reason: "tool_calls",
      message: {
        role: "assistant",
        content: null,
        tool_calls: [{
          id: "call_a",
          type: "function",
          function: { name: "Read", arguments: '{"file_path":"a"}' },
          extra_content: { google: { thought_signature: "sigA" } },
        }, { id: "call_b", type: "function", function: { name: "Read", arguments: "{}" } }],
      },
    }],
  });
  const message = openAIResponseToAnthropic(completion, {
    id: "msg_x",
    model: "claude-sonnet-4-5",
    thinking: false,
    toolNames: new Map(),
    inputTokens: 1,
  });
  const ids = message.content.map((block) => (block as { id: string }).id);
  deepStrictEqual(decodeToolId(ids[0]), { id: "call_a", thoughtSignature: "sigA" });
  deepStrictEqual(decodeToolId(ids[1]), { id: "call_b" });

  // Signature first, in a delta with neither name nor arguments; the call follows.
  const sse = [
    {
      choices: [{
        index: 0,
        delta: { tool_calls: [{ extra_content: { google: { thought_signature: "sigM" } } }] },
      }],
    },
    {
      choices: [{
        index: 0,
        delta: { tool_calls: [{ id: "c1", function: { name: "Bash", arguments: "{}" } }] },
        finish_reason: "stop",
      }],
    },
  ].map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("") + "data: [DONE]\n\n";
  const content = accumulate(await translateSse(sse)) as Array<{ id: string }>;
  deepStrictEqual(decodeToolId(content[0].id), { id: "c1", thoughtSignature: "sigM" });
});

Deno.test("Gemini 3: history without signatures gets Gemini's documented placeholder", () => {
  const messages = [
    { role: "user", content: "q" },
    {
      role: "assistant",
      content: [
        { type: "tool_use", id: "toolu_01A", name: "Bash", input: {} },
        { type: "tool_use", id: "toolu_01B", name: "Bash", input: {} },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_01A", content: "1" },
        { type: "tool_result", tool_use_id: "toolu_01B", content: "2" },
      ],
    },
  ];
  const calls = assistants(translate({ messages }, { thoughtSignatures: true }).value.messages)[0]
    .tool_calls!;
  deepStrictEqual(calls.map((call) => call.extra_content), [
    { google: { thought_signature: SKIP_THOUGHT_SIGNATURE } },
    undefined,
  ]);
  const off = assistants(translate({ messages }).value.messages)[0].tool_calls!;
  ok(off.every((call) => !call.extra_content));
});

Deno.test("tool ids with signatures: valid, reversible, and not spoofable by upstream ids", () => {
  const signed = clientToolId("functions.Bash:0", "s/i+g==");
  ok(/^[a-zA-Z0-9_-]+$/.test(signed));
  deepStrictEqual(decodeToolId(signed), { id: "functions.Bash:0", thoughtSignature: "s/i+g==" });
  // An upstream id that looks like the proxy's encoding is itself encoded, so it comes back as is.
  const lookalike = clientToolId(signed);
  ok(lookalike !== signed);
  deepStrictEqual(decodeToolId(lookalike), { id: signed });
  // Damaged carriers are kept verbatim; a missing upstream id still gets one.
  deepStrictEqual(decodeToolId("toolu_cpg_!!"), { id: "toolu_cpg_!!" });
  ok(decodeToolId(clientToolId(undefined, "sig")).id.startsWith("toolu_"));
  equal(upstreamToolId(clientToolId("call_9", "sig")), "call_9");
});

/** Parses an Anthropic SSE body into its events. */
function sseEvents(text: string): StreamEvent[] {
  return text.split("\n").filter((line) => line.startsWith("data: ")).map((line) =>
    JSON.parse(line.slice(6))
  );
}

for (
  const { name, argv, fixture, check } of [
    {
      name: "DeepSeek reasoning",
      argv: ["--provider", "deepseek", "--model", "deepseek-v4-flash"],
      fixture: "openai/deepseek_reasoning_tool_call.sse",
      check: (assistant: Record<string, unknown>, content: Record<string, unknown>[]) =>
        equal(assistant.reasoning_content, content.find((b) => b.type === "thinking")!.thinking),
    },
    {
      name: "Gemini thought signature",
      argv: ["--provider", "gemini", "--model", "gemini-3-flash-preview"],
      fixture: "openai/gemini_tool_call_finish_stop.sse",
      check: (assistant: Record<string, unknown>) =>
        deepStrictEqual(
          (assistant.tool_calls as Array<{ extra_content?: unknown }>)[0].extra_content,
          { google: { thought_signature: GEMINI_SIGNATURE } },
        ),
    },
  ]
) {
  Deno.test(`through the handler: turn 2's upstream request carries turn 1's ${name}`, async () => {
    const cfg = config([...argv, "--retries", "0"]);
    const { handler, requests } = handlerWith(() => sseResponse(fixtureText(fixture)), cfg);
    const headers = { "anthropic-version": "2023-06-01" };
    const ask = (messages: unknown[]) =>
      handler(post("/v1/messages", {
        model: "claude-sonnet-4-5",
        max_tokens: 1000,
        stream: true,
        thinking: { type: "enabled", budget_tokens: 2000 },
        messages,
      }, headers));
    const first = await ask([{ role: "user", content: "What is the weather in Paris?" }]);
    equal(first.status, 200);
    const events = sseEvents(await first.text());
    assertGrammar(events);
    const content = accumulate(events) as Record<string, unknown>[];
    ok(content.some((block) => block.type === "tool_use"));

    const second = await ask(turnTwo(content));
    equal(second.status, 200);
    await second.body?.cancel();
    const upstream = await requests[1].json();
    const assistant = upstream.messages.find((m: { role: string }) => m.role === "assistant");
    check(assistant, content);
    ok(!JSON.stringify(upstream).includes("cp1."));
  });
}
