/**
 * OpenAI chat completion (non-streaming) → Anthropic message.
 */
import { deepStrictEqual, equal, match, notEqual, ok, throws } from "node:assert/strict";
import type { MessageResponse, Usage } from "../lib/anthropic/schema.ts";
import { ProxyError } from "../lib/errors.ts";
import { ChatCompletion } from "../lib/openai/schema.ts";
import {
  openAIResponseToAnthropic,
  type ResponseOptions,
} from "../lib/translate/openai_response_to_anthropic.ts";
import { upstreamToolId } from "../lib/translate/tool_names.ts";
import { fixtureJson } from "./_helpers.ts";

/** proxySignature() without payload: "cp1." + base64url("{}"). */
const SIG = "cp1.e30";

function options(overrides: Partial<ResponseOptions> = {}): ResponseOptions {
  return {
    id: "msg_test",
    model: "claude-sonnet-4-5",
    thinking: true,
    toolNames: new Map(),
    inputTokens: 10,
    ...overrides,
  };
}

function usage(input: number, output: number, cacheRead = 0, cacheWrite = 0): Usage {
  return {
    input_tokens: input,
    output_tokens: output,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

/** Parses like the route does, then translates. */
function translate(body: unknown, overrides: Partial<ResponseOptions> = {}): MessageResponse {
  return openAIResponseToAnthropic(ChatCompletion.parse(body), options(overrides));
}

/** A completion with one choice. */
function completion(
  message: Record<string, unknown>,
  finishReason: string | null = "stop",
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-2024-08-06",
    choices: [{
      index: 0,
      message: { role: "assistant", ...message },
      finish_reason: finishReason,
    }],
    usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
    ...extra,
  };
}

function expected(
  content: MessageResponse["content"],
  stopReason: MessageResponse["stop_reason"],
  finalUsage: Usage = usage(20, 5),
  stopSequence: string | null = null,
): MessageResponse {
  return {
    id: "msg_test",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: finalUsage,
  };
}

function toolCall(id: string | undefined, name: string, args: unknown) {
  return { id, type: "function", function: { name, arguments: args } };
}

Deno.test("openAIResponseToAnthropic emits only tool_use blocks for content null with tool_calls (openai)", () => {
  const message = translate(fixtureJson("openai/openai_tool_calls.json"));
  deepStrictEqual(
    message,
    expected(
      [{
        type: "tool_use",
        id: "call_qOfTGgDrItLORNfC6VwUbyLL",
        name: "get_weather",
        input: { location: "Shanghai" },
      }],
      "tool_use",
      usage(91, 14),
    ),
  );
});

const DEEPSEEK_REASONING =
  "We need answer simple. Count r in strawberry. s t r a w b e r r y? Wait " +
  '"strawberry" letters: s(1) t(2) r(3) a(4) w(5) b(6) e(7) r(8) r(9) y(10). So three r\'s? ' +
  'Let\'s verify spelling strawberry has "str" one r, and "berry" has two r? Actually berry ' +
  "is b e r r y, yes two. Total 3. Need respond.";
const DEEPSEEK_TEXT = "There are **3** “r”s in **“strawberry”**.";

Deno.test("openAIResponseToAnthropic puts reasoning_content first as thinking when requested (deepseek)", () => {
  const message = translate(fixtureJson("openai/deepseek_reasoning.json"), { thinking: true });
  deepStrictEqual(
    message,
    expected(
      [
        { type: "thinking", thinking: DEEPSEEK_REASONING, signature: SIG },
        { type: "text", text: DEEPSEEK_TEXT },
      ],
      "end_turn",
      usage(97, 131),
    ),
  );
});

Deno.test("openAIResponseToAnthropic drops reasoning_content when thinking is not requested (deepseek)", () => {
  const message = translate(fixtureJson("openai/deepseek_reasoning.json"), { thinking: false });
  deepStrictEqual(
    message,
    expected([{ type: "text", text: DEEPSEEK_TEXT }], "end_turn", usage(97, 131)),
  );
});

Deno.test("openAIResponseToAnthropic reads reasoning from the reasoning field (ollama, groq)", () => {
  const message = translate(completion({ content: "42", reasoning: "Add them." }));
  deepStrictEqual(message.content, [
    { type: "thinking", thinking: "Add them.", signature: SIG },
    { type: "text", text: "42" },
  ]);
});

Deno.test("openAIResponseToAnthropic splits inline think tags at the start of the content", () => {
  const body = completion({ content: "\n<think>\nCheck the sum.\n</think>\n\n17 + 25 = 42." });
  deepStrictEqual(translate(body).content, [
    { type: "thinking", thinking: "Check the sum.", signature: SIG },
    { type: "text", text: "17 + 25 = 42." },
  ]);
  deepStrictEqual(translate(body, { thinking: false }).content, [
    { type: "text", text: "17 + 25 = 42." },
  ]);
  // Tags later in the answer are text.
  const later = completion({ content: "Write <think>x</think> literally." });
  deepStrictEqual(translate(later).content, [
    { type: "text", text: "Write <think>x</think> literally." },
  ]);
  // Empty reasoning and a whitespace answer before a tool call leave no blocks but the tool.
  const empty = completion(
    {
      content: "<think>\n\n</think>\n\n",
      tool_calls: [toolCall("call_1", "Read", '{"path":"a"}')],
    },
    "tool_calls",
  );
  deepStrictEqual(translate(empty).content, [
    { type: "tool_use", id: "call_1", name: "Read", input: { path: "a" } },
  ]);
});

Deno.test("openAIResponseToAnthropic merges Mistral content-array parts in order", () => {
  const body = completion({
    content: [
      {
        type: "thinking",
        thinking: [{ type: "text", text: "Multiply" }, { type: "text", text: " 17 by 23." }],
      },
      { type: "text", text: "17 × 23 = " },
      { type: "text", text: "391" },
    ],
  });
  deepStrictEqual(translate(body).content, [
    { type: "thinking", thinking: "Multiply 17 by 23.", signature: SIG },
    { type: "text", text: "17 × 23 = 391" },
  ]);
  deepStrictEqual(translate(body, { thinking: false }).content, [
    { type: "text", text: "17 × 23 = 391" },
  ]);
});

Deno.test("openAIResponseToAnthropic echoes the requested model, not the backend's", () => {
  const message = translate(completion({ content: "Hi" }), { model: "claude-opus-4-1" });
  equal(message.model, "claude-opus-4-1");
  equal(message.id, "msg_test");
});

Deno.test("openAIResponseToAnthropic orders text before tool_use and maps tool names back", () => {
  const message = translate(
    completion(
      {
        content: "Filing it.",
        tool_calls: [
          toolCall("call_1", "mcp__github_com__create_issue_1a2b3c4d", '{"title":"Bug"}'),
          toolCall("functions.Bash:0", "Bash", '{"command":"pwd"}'),
        ],
      },
      "tool_calls",
    ),
    {
      toolNames: new Map([
        ["mcp__github_com__create_issue_1a2b3c4d", "mcp__github.com__create_issue"],
      ]),
    },
  );
  const kimiId = "toolu_cp_66756e6374696f6e732e426173683a30";
  deepStrictEqual(
    message,
    expected(
      [
        { type: "text", text: "Filing it." },
        {
          type: "tool_use",
          id: "call_1",
          name: "mcp__github.com__create_issue",
          input: { title: "Bug" },
        },
        { type: "tool_use", id: kimiId, name: "Bash", input: { command: "pwd" } },
      ],
      "tool_use",
    ),
  );
  equal(upstreamToolId(kimiId), "functions.Bash:0");
});

Deno.test("openAIResponseToAnthropic repairs invalid-but-repairable arguments", () => {
  const cases: [unknown, unknown][] = [
    ['{"a": 1,}', { a: 1 }],
    ['```json\n{"a": 1}\n```', { a: 1 }],
    ['"{\\"a\\": 1}"', { a: 1 }],
    ['{"path": "a.txt"', { path: "a.txt" }],
    ['{"list": ["x", "y"', { list: ["x", "y"] }],
    ["", {}],
    ["  ", {}],
    [undefined, {}],
    [null, {}],
    [{ a: 1 }, { a: 1 }],
  ];
  for (const [args, input] of cases) {
    const message = translate(
      completion({ content: null, tool_calls: [toolCall("c", "f", args)] }),
    );
    deepStrictEqual(
      message.content,
      [{ type: "tool_use", id: "c", name: "f", input }],
      String(args),
    );
  }
});

Deno.test("openAIResponseToAnthropic throws ProxyError for unrepairable arguments", () => {
  const cases: [unknown, string][] = [
    [
      '{"command": "rm -rf /tmp/bu',
      'The model called tool "Bash" with arguments are not valid JSON: {"command": "rm -rf /tmp/bu',
    ],
    [
      '{"a": 1, "b":',
      'The model called tool "Bash" with arguments are not valid JSON: {"a": 1, "b":',
    ],
    ["[1,2]", 'The model called tool "Bash" with arguments are not a JSON object: [1,2]'],
    ["not json", 'The model called tool "Bash" with arguments are not valid JSON: not json'],
  ];
  for (const [args, message] of cases) {
    const body = completion({ content: null, tool_calls: [toolCall("c", "Bash", args)] });
    throws(
      () => translate(body),
      (error: unknown) => {
        ok(error instanceof ProxyError);
        equal(error.status, 502);
        equal(error.kind, "api_error");
        equal(error.message, message);
        return true;
      },
    );
  }
  // The client's name is quoted, not the shortened upstream one.
  throws(
    () =>
      translate(
        completion({ content: null, tool_calls: [toolCall("c", "short_1a2b3c4d", "{oops")] }),
        { toolNames: new Map([["short_1a2b3c4d", "mcp__long.name"]]) },
      ),
    /tool "mcp__long\.name"/,
  );
});

Deno.test("openAIResponseToAnthropic maps usage: cached tokens, DeepSeek cache hits, xAI totals", () => {
  const cases: [Record<string, unknown>, Usage][] = [
    [
      { prompt_tokens: 339, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 320 } },
      usage(19, 5, 320),
    ],
    [
      {
        prompt_tokens: 339,
        completion_tokens: 5,
        prompt_cache_hit_tokens: 320,
        prompt_cache_miss_tokens: 19,
      },
      usage(19, 5, 320),
    ],
    [
      {
        prompt_tokens: 339,
        completion_tokens: 5,
        prompt_tokens_details: { cached_tokens: 300, cache_write_tokens: 30 },
      },
      usage(9, 5, 300, 30),
    ],
    [{ prompt_tokens: 291, completion_tokens: 26, total_tokens: 513 }, usage(291, 222)],
  ];
  for (const [upstream, mapped] of cases) {
    const message = translate(completion({ content: "Hi" }, "stop", { usage: upstream }));
    deepStrictEqual(message.usage, mapped, JSON.stringify(upstream));
  }
});

Deno.test("openAIResponseToAnthropic estimates usage when the backend sends none", () => {
  const body = completion({ content: "abcdefghij" }, "stop", { usage: undefined });
  deepStrictEqual(translate(body, { inputTokens: 1234 }).usage, usage(1234, 3));
  // Empty answer: output_tokens is still 1, never 0.
  const empty = completion({ content: "" }, "stop", { usage: null });
  deepStrictEqual(translate(empty).usage, usage(10, 1));
  deepStrictEqual(translate(empty).content, []);
});

Deno.test("openAIResponseToAnthropic maps finish reasons", () => {
  const call = [toolCall("c", "f", "{}")];
  const cases: [Record<string, unknown>, string | null, string, string | null][] = [
    [{ content: "Hi" }, "stop", "end_turn", null],
    [{ content: "Hi" }, "length", "max_tokens", null],
    [{ content: "Hi", tool_calls: call }, "length", "max_tokens", null],
    [{ content: "Hi" }, "content_filter", "refusal", null],
    [{ content: null }, "content_filter", "refusal", null],
    [{ content: "Hi" }, "tool_calls", "end_turn", null],
    [{ content: null, tool_calls: call }, "tool_calls", "tool_use", null],
    // Gemini, old Ollama, gpt-4o: "stop" with tool calls.
    [{ content: null, tool_calls: call }, "stop", "tool_use", null],
    [{ content: "Hi" }, null, "end_turn", null],
    [{ content: "Hi" }, "insufficient_system_resource", "end_turn", null],
  ];
  for (const [message, finish, stopReason, stopSequence] of cases) {
    const result = translate(completion(message, finish));
    equal(result.stop_reason, stopReason, `${finish} ${JSON.stringify(message)}`);
    equal(result.stop_sequence, stopSequence);
  }
  // vLLM: the matched stop string.
  const vllm = completion({ content: "1. eggs" });
  (vllm.choices as Record<string, unknown>[])[0].stop_reason = "###";
  const result = translate(vllm);
  equal(result.stop_reason, "stop_sequence");
  equal(result.stop_sequence, "###");
});

Deno.test("openAIResponseToAnthropic reads a legacy function_call without touching the input", () => {
  const legacy = completion(
    { content: null, function_call: { name: "get_time", arguments: '{"tz":"UTC"}' } },
    "function_call",
  );
  const message = translate(legacy);
  equal(message.content.length, 1);
  const block = message.content[0];
  ok(block.type === "tool_use");
  match(block.id, /^toolu_[0-9A-Za-z]{24}$/);
  deepStrictEqual({ ...block, id: "" }, {
    type: "tool_use",
    id: "",
    name: "get_time",
    input: { tz: "UTC" },
  });
  equal(message.stop_reason, "tool_use");

  // With tool_calls present too, the parsed completion must not grow on each translation.
  const parsed = ChatCompletion.parse(completion({
    content: null,
    tool_calls: [toolCall("call_1", "f", "{}")],
    function_call: { name: "g", arguments: "{}" },
  }, "tool_calls"));
  const first = openAIResponseToAnthropic(parsed, options());
  const second = openAIResponseToAnthropic(parsed, options());
  equal(parsed.choices[0].message.tool_calls?.length, 1);
  equal(first.content.length, 2);
  equal(second.content.length, 2);
  notEqual((first.content[1] as { id: string }).id, "call_1");
});

Deno.test("openAIResponseToAnthropic skips nameless tool calls and generates missing ids", () => {
  const message = translate(completion({
    content: null,
    tool_calls: [
      { id: "x", type: "function", function: { arguments: "{}" } },
      toolCall("", "f", "{}"),
    ],
  }, "tool_calls"));
  equal(message.content.length, 1);
  const block = message.content[0];
  ok(block.type === "tool_use");
  equal(block.name, "f");
  match(block.id, /^toolu_[0-9A-Za-z]{24}$/);
});

Deno.test("openAIResponseToAnthropic emits refusal text and picks choice index 0", () => {
  const body = completion({ content: null, refusal: "I can't help with that." }, "stop");
  body.choices = [
    { index: 1, message: { role: "assistant", content: "other" }, finish_reason: "stop" },
    ...(body.choices as unknown[]),
  ];
  deepStrictEqual(translate(body).content, [{ type: "text", text: "I can't help with that." }]);
});

Deno.test("openAIResponseToAnthropic answers an empty choices array with an empty end_turn message", () => {
  const body = completion({ content: "unused" });
  body.choices = [];
  deepStrictEqual(translate(body), expected([], "end_turn"));
});
