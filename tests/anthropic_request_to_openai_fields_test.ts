/**
 * Request direction, top-level fields and tools (protocol.md A.1, A.4–A.6, G 20–27), and a
 * realistic Claude Code request (tests/fixtures/anthropic/claude_code_request.json) end to end.
 */
import assert from "node:assert/strict";
import { MessagesRequest } from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import {
  anthropicRequestToOpenAI,
  type RequestOptions,
  thinkingRequested,
} from "../lib/translate/anthropic_request_to_openai.ts";
import { translate as translateBody } from "./_request.ts";

const HI = [{ role: "user", content: "hi" }];
const HI_OUT = [{ role: "user", content: "hi" }];

const translate = (body: Record<string, unknown>, options: Partial<RequestOptions> = {}) =>
  translateBody({ messages: HI, ...body }, options);

const SCHEMA = { type: "object", properties: { command: { type: "string" } } };
const bash = { name: "Bash", description: "Run a command", input_schema: SCHEMA };
const BASH_OUT = {
  type: "function",
  function: { name: "Bash", description: "Run a command", parameters: SCHEMA },
};
const webSearch = { type: "web_search_20250305", name: "web_search", max_uses: 5 };

Deno.test("anthropicRequestToOpenAI maps sampling fields and streaming", () => {
  const out = translate({
    stream: true,
    temperature: 0.2,
    top_p: 0.9,
    stop_sequences: ["\n\nHuman:"],
  });
  assert.deepStrictEqual(out.value, {
    model: "gpt-4o",
    messages: HI_OUT,
    max_tokens: 1024,
    stream: true,
    stream_options: { include_usage: true },
    temperature: 0.2,
    top_p: 0.9,
    stop: ["\n\nHuman:"],
  });
  assert.equal("stream" in translate({ stream: false }).value, false);
});

Deno.test("anthropicRequestToOpenAI cuts stop_sequences to 4 with a warning", () => {
  const out = translate({ stop_sequences: ["a", "b", "c", "d", "e", "f"] });
  assert.deepStrictEqual(out.value.stop, ["a", "b", "c", "d"]);
  assert.deepStrictEqual(out.warnings, ["only the first 4 stop_sequences were sent upstream"]);
  assert.equal("stop" in translate({ stop_sequences: [] }).value, false);
});

Deno.test("anthropicRequestToOpenAI caps max_tokens", () => {
  assert.equal(translate({ max_tokens: 32000 }, { maxTokensCap: 16384 }).value.max_tokens, 16384);
  assert.equal(translate({ max_tokens: 1000 }, { maxTokensCap: 16384 }).value.max_tokens, 1000);
  assert.equal(translate({ max_tokens: 128000 }).value.max_tokens, 128000);
});

Deno.test("anthropicRequestToOpenAI uses max_completion_tokens for reasoning models", () => {
  const out = translate(
    { max_tokens: 64000, temperature: 1, top_p: 0.99 },
    { model: "o3", reasoningModel: true, maxTokensCap: 32000 },
  );
  assert.deepStrictEqual(out.value, {
    model: "o3",
    messages: HI_OUT,
    max_completion_tokens: 32000,
  });
});

Deno.test("anthropicRequestToOpenAI sends metadata.user_id as user", () => {
  assert.equal(translate({ metadata: { user_id: "user-42" } }).value.user, "user-42");
  const long = JSON.stringify({ device_id: "f".repeat(64), session_id: "s" });
  const hashed = translate({ metadata: { user_id: long } }).value.user;
  assert.match(hashed!, /^user_[0-9a-f]{8}$/);
  assert.equal(translate({ metadata: { user_id: long } }).value.user, hashed);
  assert.notEqual(translate({ metadata: { user_id: `${long} ` } }).value.user, hashed);
  const exact = "u".repeat(64);
  assert.equal(translate({ metadata: { user_id: exact } }).value.user, exact);
  assert.equal(
    "user" in translate({ metadata: { user_id: "x" } }, { sendUser: false }).value,
    false,
  );
  assert.equal("user" in translate({ metadata: {} }).value, false);
});

Deno.test("anthropicRequestToOpenAI maps thinking to reasoning_effort only when the backend takes it", () => {
  const effort = (body: Record<string, unknown>, reasoningEffort = true) =>
    translate(body, { reasoningEffort }).value.reasoning_effort;
  assert.equal(effort({ thinking: { type: "enabled", budget_tokens: 1024 } }), "low");
  assert.equal(effort({ thinking: { type: "enabled", budget_tokens: 8000 } }), "medium");
  assert.equal(effort({ thinking: { type: "enabled", budget_tokens: 20000 } }), "high");
  assert.equal(effort({ thinking: { type: "enabled", budget_tokens: 60000 } }), "high");
  assert.equal(effort({ thinking: { type: "adaptive" } }), "medium");
  assert.equal(effort({ thinking: { type: "adaptive" }, output_config: { effort: "low" } }), "low");
  assert.equal(
    effort({ thinking: { type: "adaptive" }, output_config: { effort: "max" } }),
    "high",
  );
  assert.equal(
    effort({
      thinking: { type: "enabled", budget_tokens: 1024 },
      output_config: { effort: "high" },
    }),
    "high",
  );
  assert.equal(
    effort({ thinking: { type: "disabled" }, output_config: { effort: "high" } }),
    undefined,
  );
  assert.equal(effort({ output_config: { effort: "high" } }), undefined);
  assert.equal(effort({ thinking: { type: "enabled", budget_tokens: 8000 } }, false), undefined);
});

Deno.test("anthropicRequestToOpenAI accepts adaptive thinking with budget_tokens 0", () => {
  const out = translate(
    { thinking: { type: "adaptive", budget_tokens: 0 } },
    { reasoningEffort: true },
  );
  assert.deepStrictEqual(out.value, {
    model: "gpt-4o",
    messages: HI_OUT,
    max_tokens: 1024,
    reasoning_effort: "medium",
  });
  assert.equal(thinkingRequested({ thinking: { type: "adaptive" } }), true);
  assert.equal(thinkingRequested({ thinking: { type: "enabled" } }), true);
  assert.equal(thinkingRequested({ thinking: { type: "disabled" } }), false);
  assert.equal(thinkingRequested({}), false);
});

Deno.test("anthropicRequestToOpenAI never forwards Anthropic-only fields", () => {
  const out = translate({
    top_k: 40,
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    container: "container_1",
    mcp_servers: [{ type: "url", url: "https://mcp.test", name: "m" }],
    service_tier: "auto",
    cache_control: { type: "ephemeral" },
    inference_geo: "us",
    speed: "fast",
    thinking: { type: "adaptive", display: "omitted" },
    output_config: { effort: "high" },
    metadata: { user_id: "u1" },
  }, { reasoningEffort: true });
  assert.deepStrictEqual(out.value, {
    model: "gpt-4o",
    messages: HI_OUT,
    max_tokens: 1024,
    user: "u1",
    reasoning_effort: "high",
  });
});

Deno.test("anthropicRequestToOpenAI translates custom tools and drops their Anthropic-only fields", () => {
  const out = translate({
    tools: [
      { ...bash, cache_control: { type: "ephemeral" }, defer_loading: true, strict: true },
      { name: "Noop", type: "custom", input_examples: [{}], eager_input_streaming: true },
    ],
  });
  assert.deepStrictEqual(out.value.tools, [
    BASH_OUT,
    {
      type: "function",
      function: { name: "Noop", parameters: { type: "object", properties: {} } },
    },
  ]);
  assert.equal("tool_choice" in out.value, false);
  assert.deepStrictEqual(out.warnings, []);
});

Deno.test("anthropicRequestToOpenAI cleans tool schemas only when asked", () => {
  const input_schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: { url: { type: "string", format: "uri" } },
    additionalProperties: false,
  };
  const tool = { name: "Fetch", input_schema };
  assert.deepStrictEqual(
    translate({ tools: [tool] }).value.tools![0].function.parameters,
    input_schema,
  );
  assert.deepStrictEqual(
    translate({ tools: [tool] }, { cleanSchemas: true }).value.tools![0].function.parameters,
    { type: "object", properties: { url: { type: "string" } } },
  );
});

Deno.test("anthropicRequestToOpenAI maps tool_choice", () => {
  const choice = (tool_choice: Record<string, unknown>) => {
    const { value } = translate({ tools: [bash], tool_choice });
    return { tool_choice: value.tool_choice, parallel_tool_calls: value.parallel_tool_calls };
  };
  const named = { type: "function", function: { name: "Bash" } };
  assert.deepStrictEqual(choice({ type: "auto" }), {
    tool_choice: "auto",
    parallel_tool_calls: undefined,
  });
  assert.deepStrictEqual(choice({ type: "any" }), {
    tool_choice: "required",
    parallel_tool_calls: undefined,
  });
  assert.deepStrictEqual(choice({ type: "tool", name: "Bash" }), {
    tool_choice: named,
    parallel_tool_calls: undefined,
  });
  assert.deepStrictEqual(choice({ type: "tool" }), {
    tool_choice: "required",
    parallel_tool_calls: undefined,
  });
  assert.deepStrictEqual(choice({ type: "none" }), {
    tool_choice: "none",
    parallel_tool_calls: undefined,
  });
  for (const type of ["auto", "any"]) {
    assert.equal(choice({ type, disable_parallel_tool_use: true }).parallel_tool_calls, false);
  }
  assert.deepStrictEqual(choice({ type: "tool", name: "Bash", disable_parallel_tool_use: true }), {
    tool_choice: named,
    parallel_tool_calls: false,
  });
  assert.deepStrictEqual(choice({ type: "none", disable_parallel_tool_use: true }), {
    tool_choice: "none",
    parallel_tool_calls: undefined,
  });
  assert.equal(
    choice({ type: "auto", disable_parallel_tool_use: false }).parallel_tool_calls,
    undefined,
  );
  // tool_choice "none" keeps the tools so history with tool calls stays valid.
  assert.deepStrictEqual(translate({ tools: [bash], tool_choice: { type: "none" } }).value.tools, [
    BASH_OUT,
  ]);
});

Deno.test("anthropicRequestToOpenAI omits tools and tool_choice when none remain", () => {
  const empty = translate({ tools: [], tool_choice: { type: "auto" } });
  assert.deepStrictEqual(empty.value, { model: "gpt-4o", messages: HI_OUT, max_tokens: 1024 });
  const serverOnly = translate({
    tools: [webSearch],
    tool_choice: { type: "any", disable_parallel_tool_use: true },
  });
  assert.deepStrictEqual(serverOnly.value, { model: "gpt-4o", messages: HI_OUT, max_tokens: 1024 });
  assert.deepStrictEqual(serverOnly.warnings, [
    "server tool web_search (web_search_20250305): this backend has no web search the proxy can use (OpenAI: *-search-* models; OpenRouter: web plugin), so it was dropped; the answer reports web_search_requests: 0",
  ]);
});

Deno.test("anthropicRequestToOpenAI drops server tools with a warning and keeps custom tools", () => {
  const out = translate({
    tools: [bash, webSearch, { type: "bash_20250124", name: "bash" }],
    tool_choice: { type: "auto" },
  });
  assert.deepStrictEqual(out.value.tools, [BASH_OUT]);
  assert.equal(out.value.tool_choice, "auto");
  assert.deepStrictEqual(out.warnings, [
    "server tool web_search (web_search_20250305): this backend has no web search the proxy can use (OpenAI: *-search-* models; OpenRouter: web plugin), so it was dropped; the answer reports web_search_requests: 0",
    "server tool bash (bash_20250124) has no OpenAI equivalent and was dropped",
  ]);
});

Deno.test("anthropicRequestToOpenAI shortens long and dotted tool names deterministically", () => {
  const long = `mcp__claude_ai_Google_Drive__${"search_files_".repeat(5)}`;
  const dotted = "mcp__my.server__tool";
  const body = {
    tools: [bash, { name: long, input_schema: SCHEMA }, { name: dotted, input_schema: SCHEMA }],
    tool_choice: { type: "tool", name: dotted },
  };
  const out = translate(body);
  const names = out.value.tools!.map((tool) => tool.function.name);
  assert.equal(names[0], "Bash");
  assert.match(names[1], /^mcp__claude_ai_Google_Drive__search_files_search_files__[0-9a-f]{8}$/);
  assert.equal(names[1].length, 64);
  assert.equal(names[2], "mcp__my_server__tool_23e850a8");
  assert.deepStrictEqual(out.value.tool_choice, { type: "function", function: { name: names[2] } });
  assert.deepStrictEqual(out.toolNames, new Map([[names[1], long], [names[2], dotted]]));
  assert.deepStrictEqual(translate(body).value, out.value);
});

const fixture = JSON.parse(
  Deno.readTextFileSync(new URL("./fixtures/anthropic/claude_code_request.json", import.meta.url)),
);
const LONG_TOOL = "mcp__claude_ai_Google_Drive__search_files_in_shared_drive_by_query_text";
const SHORT_TOOL = "mcp__claude_ai_Google_Drive__search_files_in_shared_dri_418a8fff";
const CLAUDE_CODE_MESSAGES = [
  {
    role: "system",
    content: "You are Claude Code, Anthropic's official CLI for Claude.\n\n" +
      "You are an interactive CLI tool that helps users with software engineering tasks.\n\n" +
      "Working directory: /home/user/project",
  },
  {
    role: "user",
    content: "<system-reminder>\nAs you answer the user's questions, you can use the following " +
      "context.\n</system-reminder>\n\nHow many files are in this directory?",
  },
  {
    role: "assistant",
    content: "Let me list the files.",
    tool_calls: [{
      id: "toolu_01D7FLrfh4GYq7yT1ULFeyMV",
      type: "function",
      function: {
        name: "Bash",
        arguments: '{"command":"ls -1 | wc -l","description":"Count files in the directory"}',
      },
    }],
  },
  { role: "tool", tool_call_id: "toolu_01D7FLrfh4GYq7yT1ULFeyMV", content: "3" },
  { role: "assistant", content: "There are 3 files in this directory." },
  { role: "system", content: "Plan mode is active: do not edit files." },
  { role: "user", content: "Which one is the largest?" },
];

Deno.test("anthropicRequestToOpenAI translates a real Claude Code request for OpenAI", () => {
  const request = validate(MessagesRequest, fixture);
  const out = anthropicRequestToOpenAI(request, {
    model: "gpt-5.2",
    maxTokensCap: 32000,
    cleanSchemas: false,
    reasoningEffort: true,
    reasoningModel: true,
    acceptsPdf: true,
    sendUser: true,
  });
  assert.equal(fixture.tools.length, 12);
  const tools = fixture.tools.map((tool: Record<string, unknown>) => ({
    type: "function",
    function: {
      name: tool.name === LONG_TOOL ? SHORT_TOOL : tool.name,
      description: tool.description,
      parameters: tool.input_schema,
    },
  }));
  assert.deepStrictEqual(out.value, {
    model: "gpt-5.2",
    messages: CLAUDE_CODE_MESSAGES,
    max_completion_tokens: 32000,
    stream: true,
    stream_options: { include_usage: true },
    user: "user_233035f8",
    reasoning_effort: "medium",
    tools,
  });
  assert.deepStrictEqual(out.warnings, []);
  assert.deepStrictEqual(out.toolNames, new Map([[SHORT_TOOL, LONG_TOOL]]));
  const wire = JSON.stringify(out.value);
  for (const word of ["cache_control", "defer_loading", "context_management", "billing-header"]) {
    assert.equal(wire.includes(word), false, `${word} reached the upstream body`);
  }
  assert.equal(wire.includes("I should list the directory."), false);
});

Deno.test("anthropicRequestToOpenAI translates a real Claude Code request for Gemini", () => {
  const request = validate(MessagesRequest, fixture);
  const out = anthropicRequestToOpenAI(request, {
    model: "gemini-2.5-pro",
    maxTokensCap: 65536,
    cleanSchemas: true,
    reasoningEffort: true,
    reasoningModel: false,
    acceptsPdf: false,
    sendUser: false,
  });
  assert.deepStrictEqual(out.value.messages, CLAUDE_CODE_MESSAGES);
  assert.equal(out.value.max_tokens, 65536);
  assert.equal(out.value.temperature, 1);
  assert.equal("user" in out.value, false);
  assert.deepStrictEqual(out.value.tools![4].function, {
    name: "Read",
    description: "Reads a file from the local filesystem.",
    parameters: {
      type: "object",
      properties: {
        file_path: { type: "string", description: "The absolute path to the file to read" },
        offset: { type: "number" },
        limit: { type: "number" },
      },
      required: ["file_path"],
    },
  });
  const wire = JSON.stringify(out.value.tools);
  for (const word of ["$schema", "additionalProperties", '"format"', "cache_control"]) {
    assert.equal(wire.includes(word), false, `${word} reached Gemini`);
  }
});

Deno.test("anthropicRequestToOpenAI sends auto when tool_choice names a dropped server tool", () => {
  const result = translate({
    messages: [{ role: "user", content: "search" }],
    tools: [
      { type: "web_search_20250305", name: "web_search" },
      { name: "Read", input_schema: { type: "object", properties: {} } },
    ],
    tool_choice: { type: "tool", name: "web_search" },
  });
  assert.equal(result.value.tool_choice, "auto");
  assert.ok(result.warnings.some((warning) => /tool_choice names "web_search"/.test(warning)));
});

Deno.test("anthropicRequestToOpenAI sends no reasoning_effort for unknown thinking types", () => {
  const result = translate({
    messages: [{ role: "user", content: "hi" }],
    thinking: { type: "someday" },
    output_config: { effort: "high" },
  }, { reasoningEffort: true });
  assert.equal("reasoning_effort" in result.value, false);
});
