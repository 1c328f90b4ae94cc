/**
 * The proxy is stateless between requests, so instances can sit behind a load balancer with no
 * stickiness: turn 1 answered by one handler instance and turn 2 (carrying the tool result) sent
 * to another produce exactly the upstream request a single instance produces. Everything a later
 * turn needs travels in the conversation itself: shortened tool names are fingerprints of the
 * original, re-encoded tool ids decode themselves, thinking signatures carry their own payload.
 */
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";
import { createHandler } from "../lib/handler.ts";
import { fakeFetch, sseResponse, sseText } from "./_helpers.ts";
import { config, recordingLogger } from "./_handler.ts";

const LONG_TOOL = "mcp__a_rather_long_server_name__with_a_tool_name_far_beyond_sixty_four_chars";
const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-test" };

/** A fake backend: a thinking + tool call answer first (Kimi-style id), then text. */
function backend() {
  return fakeFetch(async (request) => {
    const body = await request.json();
    const hasResult = body.messages.some((message: { role: string }) => message.role === "tool");
    if (hasResult) {
      return sseResponse(sseText([
        { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "Found it." } }] },
        { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
      ]));
    }
    const name = body.tools[0].function.name;
    return sseResponse(sseText([
      {
        ...base,
        choices: [{ index: 0, delta: { role: "assistant", reasoning_content: "Look it up." } }],
      },
      {
        ...base,
        choices: [{
          index: 0,
          delta: {
            tool_calls: [{
              index: 0,
              id: "functions.lookup:0",
              type: "function",
              function: { name, arguments: '{"q":"paris"}' },
            }],
          },
        }],
      },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ]));
  });
}

/** A separate handler instance (own closure, own caches) with an SDK client in front of it. */
function instance() {
  const upstream = backend();
  const handler = createHandler(config(["--model", "gpt-test"]), {
    fetch: upstream.fetch,
    logger: recordingLogger(),
  });
  const client = new Anthropic({
    baseURL: "http://proxy.test",
    apiKey: "sk-client",
    maxRetries: 0,
    fetch: (input: string | URL | Request, init?: RequestInit) => handler(new Request(input, init)),
  });
  return { client, requests: upstream.requests };
}

const request = {
  model: "claude-sonnet-4-5",
  max_tokens: 4000,
  thinking: { type: "enabled" as const, budget_tokens: 2048 },
  tools: [{
    name: LONG_TOOL,
    description: "Looks things up",
    input_schema: { type: "object" as const, properties: { q: { type: "string" } } },
  }],
  messages: [{ role: "user" as const, content: "Find Paris." }],
};

function nextTurn(first: Anthropic.Message) {
  const call = first.content.find((block) => block.type === "tool_use")!;
  return {
    ...request,
    messages: [
      ...request.messages,
      { role: "assistant" as const, content: first.content },
      {
        role: "user" as const,
        content: [{ type: "tool_result" as const, tool_use_id: call.id, content: "48.86N 2.35E" }],
      },
    ],
  };
}

Deno.test("turn 2 on another instance sends the same upstream request as one instance", async () => {
  const a = instance();
  const b = instance();
  const first = await a.client.messages.stream(request).finalMessage();
  assert.deepEqual(first.content.map((block) => block.type), ["thinking", "tool_use"]);
  const call = first.content[1] as Anthropic.ToolUseBlock;
  assert.equal(call.name, LONG_TOOL); // mapped back from the shortened upstream name
  assert.notEqual(call.id, "functions.lookup:0"); // re-encoded for Claude clients

  const sameInstance = await a.client.messages.stream(nextTurn(first)).finalMessage();
  const otherInstance = await b.client.messages.stream(nextTurn(first)).finalMessage();
  assert.deepEqual(otherInstance.content, sameInstance.content);
  assert.deepEqual(otherInstance.content, [{ type: "text", text: "Found it." }]);

  const viaA = await a.requests[1].json();
  const viaB = await b.requests[0].json();
  assert.deepEqual(viaB, viaA);
  // And what they sent is right: the backend gets back its own id and its own tool name.
  const assistant = viaB.messages.find((message: { role: string }) => message.role === "assistant");
  assert.equal(assistant.tool_calls[0].id, "functions.lookup:0");
  assert.equal(assistant.tool_calls[0].function.name, viaB.tools[0].function.name);
  assert.notEqual(viaB.tools[0].function.name, LONG_TOOL);
  const tool = viaB.messages.find((message: { role: string }) => message.role === "tool");
  assert.deepEqual(tool, {
    role: "tool",
    tool_call_id: "functions.lookup:0",
    content: "48.86N 2.35E",
  });
});

Deno.test("count_tokens gives the same count on every instance, cache warm or cold", async () => {
  const a = instance();
  const b = instance();
  const first = await a.client.messages.stream(request).finalMessage();
  const { thinking: _, max_tokens: __, ...countable } = nextTurn(first);
  const warm1 = await a.client.messages.countTokens(countable);
  const warm2 = await a.client.messages.countTokens(countable);
  const cold = await b.client.messages.countTokens(countable);
  assert.equal(warm1.input_tokens, warm2.input_tokens);
  assert.equal(cold.input_tokens, warm1.input_tokens);
});
