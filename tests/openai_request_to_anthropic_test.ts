/**
 * OpenAI chat-completions requests → Anthropic Messages requests, and Messages responses back.
 */
import assert from "node:assert/strict";
import { ProxyError } from "../lib/errors.ts";
import { openAIError } from "../lib/openai/errors.ts";
import { ChatCompletionsRequest } from "../lib/openai/request_schema.ts";
import { anthropicResponseToOpenAI } from "../lib/translate/anthropic_response_to_openai.ts";
import {
  DEFAULT_MAX_TOKENS,
  openAIRequestToAnthropic,
} from "../lib/translate/openai_request_to_anthropic.ts";

// deno-lint-ignore no-explicit-any
function translate(body: Record<string, any>, options = {}) {
  const parsed = ChatCompletionsRequest.parse({ model: "claude-sonnet-4-5", ...body });
  return openAIRequestToAnthropic(parsed, { model: "claude-sonnet-4-5-20250929", ...options });
}

function rejects(body: Record<string, unknown>, pattern: RegExp) {
  assert.throws(() => translate(body), (error: unknown) => {
    assert.ok(error instanceof ProxyError);
    assert.equal(error.status, 400);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("system and developer messages anywhere → one system; default max_tokens", () => {
  const { value } = translate({
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "developer", content: [{ type: "text", text: "Use French." }] },
    ],
  });
  assert.equal(value.system, "Be brief.\n\nUse French.");
  assert.equal(value.max_tokens, DEFAULT_MAX_TOKENS);
  assert.equal(value.model, "claude-sonnet-4-5-20250929");
  assert.deepEqual(value.messages, [{ role: "user", content: [{ type: "text", text: "Hi" }] }]);
});

Deno.test("tool messages fold into one user turn; following user text appended; args parsed", () => {
  const { value } = translate({
    messages: [
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [
          {
            id: "call_a",
            type: "function",
            function: { name: "w", arguments: '{"city":"Paris"}' },
          },
          { id: "call_b", type: "function", function: { name: "w", arguments: "" } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "18C" },
      { role: "tool", tool_call_id: "call_b", content: [{ type: "text", text: "20C" }] },
      { role: "user", content: "Thanks" },
    ],
  });
  assert.equal(value.messages.length, 3);
  assert.deepEqual(value.messages[1], {
    role: "assistant",
    content: [
      { type: "tool_use", id: "call_a", name: "w", input: { city: "Paris" } },
      { type: "tool_use", id: "call_b", name: "w", input: {} },
    ],
  });
  assert.deepEqual(value.messages[2], {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "call_a", content: "18C" },
      { type: "tool_result", tool_use_id: "call_b", content: "20C" },
      { type: "text", text: "Thanks" },
    ],
  });
});

Deno.test("same-role runs merge; images: data URL → base64, http URL → url source", () => {
  const { value } = translate({
    messages: [
      { role: "user", content: "one" },
      {
        role: "user",
        content: [
          {
            type: "image_url",
            image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "high" },
          },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
        ],
      },
    ],
  });
  assert.deepEqual(value.messages, [{
    role: "user",
    content: [
      { type: "text", text: "one" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ],
  }]);
  rejects({
    messages: [{
      role: "user",
      content: [{ type: "image_url", image_url: { url: "data:image/tiff;base64,AA==" } }],
    }],
  }, /image\/tiff/);
});

Deno.test("tools, tool_choice and parallel_tool_calls", () => {
  const tools = [{
    type: "function",
    function: { name: "w", description: "weather", parameters: { type: "object", properties: {} } },
  }];
  const messages = [{ role: "user", content: "x" }];
  const choice = (tool_choice: unknown, extra = {}) =>
    translate({ messages, tools, tool_choice, ...extra }).value.tool_choice;
  assert.deepEqual(translate({ messages, tools }).value.tools, [
    { name: "w", description: "weather", input_schema: { type: "object", properties: {} } },
  ]);
  assert.deepEqual(choice("none"), { type: "none" });
  assert.deepEqual(choice("auto"), { type: "auto" });
  assert.deepEqual(choice("required"), { type: "any" });
  assert.deepEqual(choice({ type: "function", function: { name: "w" } }), {
    type: "tool",
    name: "w",
  });
  assert.deepEqual(choice(undefined, { parallel_tool_calls: false }), {
    type: "auto",
    disable_parallel_tool_use: true,
  });
  assert.deepEqual(choice("required", { parallel_tool_calls: false }), {
    type: "any",
    disable_parallel_tool_use: true,
  });
  assert.deepEqual(choice("none", { parallel_tool_calls: false }), { type: "none" });
  // Deprecated functions.
  const legacy = translate({ messages, functions: [{ name: "f" }], function_call: { name: "f" } });
  assert.deepEqual(legacy.value.tools, [{
    name: "f",
    input_schema: { type: "object", properties: {} },
  }]);
  assert.deepEqual(legacy.value.tool_choice, { type: "tool", name: "f" });
  rejects({ messages, tools: [{ type: "custom", custom: { name: "c" } }] }, /only function tools/);
});

Deno.test("sampling: max_completion_tokens, stop, temperature clamp, top_p dropped, user", () => {
  const { value } = translate({
    messages: [{ role: "user", content: "x" }],
    max_tokens: 50,
    max_completion_tokens: 70,
    stop: ["END", "  "],
    temperature: 1.5,
    top_p: 0.5,
    user: "u-1",
    seed: 3,
    presence_penalty: 0.2,
  });
  assert.equal(value.max_tokens, 70);
  assert.deepEqual(value.stop_sequences, ["END"]);
  assert.equal(value.temperature, 1);
  assert.equal(value.top_p, undefined);
  assert.deepEqual(value.metadata, { user_id: "u-1" });
  assert.equal("seed" in value, false);
  assert.deepEqual(
    translate({ messages: [{ role: "user", content: "x" }], stop: "S" }).value
      .stop_sequences,
    ["S"],
  );
  assert.equal(
    translate({ messages: [{ role: "user", content: "x" }], max_tokens: 9000 }, {
      maxTokensCap: 1000,
    }).value.max_tokens,
    1000,
  );
});

Deno.test("unsupported: n > 1, logprobs, audio → 400", () => {
  const messages = [{ role: "user", content: "x" }];
  rejects({ messages, n: 2 }, /^n:/);
  rejects({ messages, logprobs: true }, /logprobs/);
  rejects({ messages, modalities: ["text", "audio"] }, /audio/);
  rejects(
    { messages: [{ role: "user", content: [{ type: "input_audio", input_audio: {} }] }] },
    /audio/,
  );
  assert.doesNotThrow(() => translate({ messages, n: 1 }));
});

Deno.test("reasoning_effort → thinking budget; not with forced tools or a trailing tool turn", () => {
  const messages = [{ role: "user", content: "x" }];
  const high = translate({
    messages,
    reasoning_effort: "high",
    max_tokens: 1000,
    temperature: 0.3,
  });
  assert.deepEqual(high.value.thinking, { type: "enabled", budget_tokens: 24576 });
  assert.equal(high.value.max_tokens, 25576);
  assert.equal(high.value.temperature, undefined);
  assert.equal(translate({ messages, reasoning_effort: "none" }).value.thinking, undefined);
  const tools = [{ type: "function", function: { name: "w" } }];
  assert.equal(
    translate({ messages, tools, tool_choice: "required", reasoning_effort: "high" }).value
      .thinking,
    undefined,
  );
  const trailing = translate({
    reasoning_effort: "low",
    tools,
    messages: [
      { role: "user", content: "x" },
      {
        role: "assistant",
        tool_calls: [{ id: "c", type: "function", function: { name: "w", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c", content: "ok" },
    ],
  });
  assert.equal(trailing.value.thinking, undefined);
  rejects({ messages, reasoning_effort: "extreme" }, /reasoning_effort/);
});

Deno.test("response_format: json_schema → forced tool; json_object → instruction", () => {
  const messages = [{ role: "user", content: "x" }];
  const schema = { type: "object", properties: { a: { type: "number" } }, required: ["a"] };
  const forced = translate({
    messages,
    response_format: { type: "json_schema", json_schema: { name: "thing", schema } },
  });
  assert.deepEqual(forced.jsonTool, { name: "json_response", wrapped: false });
  assert.deepEqual(forced.value.tool_choice, { type: "tool", name: "json_response" });
  assert.deepEqual((forced.value.tools![0] as { input_schema: unknown }).input_schema, schema);
  const array = translate({
    messages,
    response_format: {
      type: "json_schema",
      json_schema: { name: "list", schema: { type: "array" } },
    },
  });
  assert.deepEqual(array.jsonTool, { name: "json_response", wrapped: true });
  const object = translate({ messages, response_format: { type: "json_object" } });
  assert.match(object.value.system!, /JSON object/);
  assert.equal(object.value.tools, undefined);
});

Deno.test("response: text, tool_use, thinking, stop reasons, usage", () => {
  const completion = anthropicResponseToOpenAI({
    content: [
      { type: "thinking", thinking: "hmm" },
      { type: "text", text: "I'll check." },
      { type: "tool_use", id: "toolu_1", name: "w", input: { city: "Paris" } },
    ],
    stop_reason: "tool_use",
    usage: {
      input_tokens: 10,
      cache_read_input_tokens: 90,
      cache_creation_input_tokens: 0,
      output_tokens: 5,
    },
  }, { id: "chatcmpl-1", model: "claude-x", created: 7 });
  assert.deepEqual(completion, {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 7,
    model: "claude-x",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: "I'll check.",
        refusal: null,
        tool_calls: [{
          id: "toolu_1",
          type: "function",
          function: { name: "w", arguments: '{"city":"Paris"}' },
        }],
        reasoning_content: "hmm",
      },
      logprobs: null,
      finish_reason: "tool_calls",
    }],
    usage: {
      prompt_tokens: 100,
      completion_tokens: 5,
      total_tokens: 105,
      prompt_tokens_details: { cached_tokens: 90 },
    },
  });
  const finish = (stop_reason: string) =>
    (anthropicResponseToOpenAI({ content: [], stop_reason }, {
      id: "i",
      model: "m",
      created: 1,
    }).choices as { finish_reason: string }[])[0].finish_reason;
  assert.equal(finish("end_turn"), "stop");
  assert.equal(finish("stop_sequence"), "stop");
  assert.equal(finish("max_tokens"), "length");
  assert.equal(finish("refusal"), "content_filter");
  const json = anthropicResponseToOpenAI({
    content: [{ type: "tool_use", id: "t", name: "json_response", input: { value: [1] } }],
    stop_reason: "tool_use",
  }, { id: "i", model: "m", created: 1, jsonTool: { name: "json_response", wrapped: true } });
  const choice = (json.choices as { message: { content: string }; finish_reason: string }[])[0];
  assert.equal(choice.message.content, "[1]");
  assert.equal(choice.finish_reason, "stop");
});

Deno.test("errors in OpenAI's shape with mapped statuses", () => {
  const map = (status: number, kind: ConstructorParameters<typeof ProxyError>[1], message = "m") =>
    openAIError(new ProxyError(status, kind, message));
  assert.deepEqual(
    map(400, "invalid_request_error", "prompt is too long: 1 > 0").body.error.code,
    "context_length_exceeded",
  );
  assert.deepEqual(map(401, "authentication_error").body.error, {
    message: "m",
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key",
  });
  assert.equal(map(529, "overloaded_error").status, 503);
  assert.equal(map(402, "billing_error").status, 402);
  assert.equal(map(429, "rate_limit_error").body.error.code, "rate_limit_exceeded");
  assert.equal(map(404, "not_found_error", "model x").body.error.code, "model_not_found");
  assert.equal(map(500, "api_error").body.error.type, "server_error");
});
