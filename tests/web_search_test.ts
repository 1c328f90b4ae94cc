/**
 * Anthropic's web search server tool through OpenAI-compatible backends: OpenAI search models
 * (`web_search_options`), OpenRouter's web plugin, and backends without search (dropped, said
 * so). The upstream answers are constructed fixtures (see tests/fixtures/openai/README.md).
 */
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";
import type { MessagesRequest, StreamEvent } from "../lib/anthropic/schema.ts";
import { type Config, loadConfig } from "../lib/config.ts";
import { createHandler } from "../lib/handler.ts";
import { resolveRoute } from "../lib/model_map.ts";
import { ChatCompletion } from "../lib/openai/schema.ts";
import {
  anthropicRequestToOpenAI,
  type RequestOptions,
} from "../lib/translate/anthropic_request_to_openai.ts";
import { messageToEvents } from "../lib/translate/message_to_events.ts";
import { openAIResponseToAnthropic } from "../lib/translate/openai_response_to_anthropic.ts";
import { NO_SEARCH_NOTE, searchQuery, type WebSearchRequest } from "../lib/translate/web_search.ts";
import {
  accumulate,
  assertGrammar,
  fakeFetch,
  fixtureJson,
  fixtureText,
  sseResponse,
  sseText,
  translateSse,
} from "./_helpers.ts";

const WEB_SEARCH = { type: "web_search_20250305", name: "web_search", max_uses: 8 };
// The shape of Claude Code's WebSearch request: one user message, the only tool web search.
const CLAUDE_CODE_SEARCH = {
  model: "claude-sonnet-4-5",
  max_tokens: 32000,
  messages: [{ role: "user", content: "Perform a web search for the query: deno 2.9 release" }],
  tools: [WEB_SEARCH],
} as const;

const OPTIONS: RequestOptions = {
  model: "gpt-4o-search-preview",
  cleanSchemas: false,
  reasoningEffort: false,
  reasoningModel: false,
  acceptsPdf: false,
  sendUser: false,
};

function translate(body: Record<string, unknown>, options: Partial<RequestOptions> = {}) {
  return anthropicRequestToOpenAI(body as unknown as MessagesRequest, { ...OPTIONS, ...options });
}

function config(argv: string[]): Config {
  const action = loadConfig(argv, {});
  assert.equal(action.action, "serve");
  return (action as { config: Config }).config;
}

const SEARCH_BLOCK = {
  type: "server_tool_use",
  name: "web_search",
  input: { query: "deno 2.9 release" },
  caller: { type: "direct" },
};
const OPENAI_RESULTS = [
  {
    type: "web_search_result",
    url: "https://deno.com/blog/v2.9?utm_source=openai",
    title: "Deno 2.9 release notes",
    encrypted_content: "",
    page_age: null,
  },
  {
    type: "web_search_result",
    url: "https://github.com/denoland/deno/releases",
    title: "Releases · denoland/deno",
    encrypted_content: "",
    page_age: null,
  },
];
const OPENAI_TEXT =
  "Deno 2.9 was released in November ([deno.com](https://deno.com/blog/v2.9?utm_source=openai)).";

/** Checks the search pair and returns the blocks without their random ids. */
function withoutIds(content: unknown[]): unknown[] {
  const [use, result] = content as Array<Record<string, unknown>>;
  assert.match(String(use.id), /^srvtoolu_[A-Za-z0-9]{24}$/);
  assert.equal(result.tool_use_id, use.id);
  return content.map((block) => {
    const { id: _id, tool_use_id: _use, ...rest } = block as Record<string, unknown>;
    return rest;
  });
}

Deno.test("web search: OpenAI mode sends web_search_options, with the user's location", () => {
  const out = translate({
    ...CLAUDE_CODE_SEARCH,
    tools: [{
      ...WEB_SEARCH,
      user_location: { type: "approximate", city: "Paris", country: "FR", timezone: "" },
    }],
  }, { webSearch: "openai" });
  assert.deepEqual(out.value.web_search_options, {
    user_location: { type: "approximate", approximate: { city: "Paris", country: "FR" } },
  });
  assert.equal(out.value.tools, undefined);
  assert.equal(out.value.plugins, undefined);
  assert.deepEqual(out.warnings, []);
  assert.deepEqual(out.webSearch, { mode: "openai", query: "deno 2.9 release", only: true });
  const plain = translate(CLAUDE_CODE_SEARCH, { webSearch: "openai" });
  assert.deepEqual(plain.value.web_search_options, {});
});

Deno.test("web search: OpenRouter mode sends the web plugin; domain filters are reported", () => {
  const out = translate({
    ...CLAUDE_CODE_SEARCH,
    tools: [{ ...WEB_SEARCH, allowed_domains: ["deno.com"] }],
  }, { webSearch: "openrouter" });
  assert.deepEqual(out.value.plugins, [{ id: "web" }]);
  assert.equal(out.value.web_search_options, undefined);
  assert.deepEqual(out.warnings, [
    "web search: allowed_domains/blocked_domains have no openrouter equivalent and were not applied",
  ]);
});

Deno.test("web search: without a backend search the tool is dropped and the log says why", () => {
  const out = translate(CLAUDE_CODE_SEARCH);
  assert.equal(out.value.web_search_options, undefined);
  assert.equal(out.value.plugins, undefined);
  assert.equal(out.warnings.length, 1);
  assert.match(out.warnings[0], /web_search_20250305\): this backend has no web search/);
  assert.deepEqual(out.webSearch, { mode: "none", query: "deno 2.9 release", only: true });
  // Requests without the tool carry no web search state.
  assert.equal(translate({ ...CLAUDE_CODE_SEARCH, tools: undefined }).webSearch, undefined);
});

Deno.test("web search: the query is the last user text without Claude Code's lead-in", () => {
  assert.equal(
    searchQuery([{ role: "user", content: [{ type: "text", text: "latest deno" }] }]),
    "latest deno",
  );
  assert.equal(
    searchQuery([
      { role: "user", content: "first" },
      { role: "assistant", content: "ok" },
      { role: "user", content: "Perform a web search for the query:  what is new " },
    ]),
    "what is new",
  );
  assert.equal(searchQuery([{ role: "assistant", content: "x" }]), "");
});

Deno.test("web search: presets choose the backend's search, and OpenAI only for search models", () => {
  const mode = (argv: string[], model: string) =>
    resolveRoute(config(argv), model).options.webSearch;
  assert.equal(mode(["--provider", "openai"], "gpt-4o-search-preview"), "openai");
  assert.equal(mode(["--provider", "openai", "--model", "gpt-5-search-api"], "x"), "openai");
  assert.equal(mode(["--provider", "openai"], "gpt-4.1"), "none");
  assert.equal(mode(["--provider", "openrouter"], "openai/gpt-4.1-mini"), "openrouter");
  for (const provider of ["gemini", "deepseek", "groq", "ollama", "azure", "custom"]) {
    const argv = ["--provider", provider, "--base-url", "http://upstream.test/v1"];
    assert.equal(mode(argv, "gpt-4o-search-preview"), "none", provider);
  }
});

const OPENAI_SEARCH: WebSearchRequest = { mode: "openai", query: "deno 2.9 release", only: true };

Deno.test("web search: OpenAI stream → search blocks, then the text; grammar and usage", async () => {
  const events = await translateSse(fixtureText("openai/openai_search_annotations.sse"), {
    webSearch: OPENAI_SEARCH,
  });
  assertGrammar(events);
  assert.deepEqual(withoutIds(accumulate(events)), [
    SEARCH_BLOCK,
    { type: "web_search_tool_result", content: OPENAI_RESULTS, caller: { type: "direct" } },
    { type: "text", text: OPENAI_TEXT },
  ]);
  const delta = events.find((event) => event.type === "message_delta");
  assert.deepEqual(
    delta?.type === "message_delta" && delta.usage,
    {
      input_tokens: 412,
      output_tokens: 38,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
    },
  );
  // The same stream without the web search request: plain text, no search claims.
  const plain = await translateSse(fixtureText("openai/openai_search_annotations.sse"));
  assertGrammar(plain);
  assert.deepEqual(accumulate(plain), [{ type: "text", text: OPENAI_TEXT }]);
  const plainDelta = plain.find((event) => event.type === "message_delta");
  assert.ok(plainDelta?.type === "message_delta" && !("server_tool_use" in plainDelta.usage));
});

Deno.test("web search: a search answer without citations claims no search", async () => {
  const chunks = [
    { choices: [{ index: 0, delta: { content: "No idea." } }] },
    { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
  ];
  const events = await translateSse(sseText(chunks), { webSearch: OPENAI_SEARCH });
  assertGrammar(events);
  assert.deepEqual(accumulate(events), [{ type: "text", text: "No idea." }]);
  const delta = events.find((event) => event.type === "message_delta");
  assert.deepEqual(
    delta?.type === "message_delta" && delta.usage.server_tool_use,
    { web_search_requests: 0, web_fetch_requests: 0 },
  );
});

Deno.test("web search: stream with thinking and a malformed annotation keeps the order", async () => {
  const chunks = [
    { choices: [{ index: 0, delta: { reasoning_content: "Looking." } }] },
    { choices: [{ index: 0, delta: { content: "Answer", annotations: "bogus" } }] },
    {
      choices: [{
        index: 0,
        delta: {
          annotations: [null, { type: "url_citation" }, {
            type: "url_citation",
            url_citation: { url: "https://a.test/" },
          }],
        },
        finish_reason: "stop",
      }],
    },
  ];
  const events = await translateSse(sseText(chunks), { webSearch: OPENAI_SEARCH });
  assertGrammar(events);
  const content = accumulate(events) as Array<Record<string, unknown>>;
  assert.deepEqual(content.map((block) => block.type), [
    "thinking",
    "server_tool_use",
    "web_search_tool_result",
    "text",
  ]);
  assert.deepEqual(content[2].content, [{
    type: "web_search_result",
    url: "https://a.test/",
    title: "https://a.test/",
    encrypted_content: "",
    page_age: null,
  }]);
});

Deno.test("web search: no backend search → a note first, and web_search_requests 0", async () => {
  const none: WebSearchRequest = { mode: "none", query: "q", only: true };
  const chunks = [
    { choices: [{ index: 0, delta: { content: "From memory." } }] },
    { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
  ];
  const events = await translateSse(sseText(chunks), { webSearch: none });
  assertGrammar(events);
  assert.deepEqual(accumulate(events), [
    { type: "text", text: NO_SEARCH_NOTE },
    { type: "text", text: "From memory." },
  ]);
  const delta = events.find((event) => event.type === "message_delta");
  assert.deepEqual(
    delta?.type === "message_delta" && delta.usage.server_tool_use,
    { web_search_requests: 0, web_fetch_requests: 0 },
  );
  // Search among other tools: no note in the answer, only the usage signal.
  const mixed = await translateSse(sseText(chunks), { webSearch: { ...none, only: false } });
  assert.deepEqual(accumulate(mixed), [{ type: "text", text: "From memory." }]);
  const mixedDelta = mixed.find((event) => event.type === "message_delta");
  assert.equal(
    mixedDelta?.type === "message_delta" && mixedDelta.usage.server_tool_use?.web_search_requests,
    0,
  );
  // A tool call before any text still comes after the note.
  const tool = await translateSse(
    sseText([
      {
        choices: [{
          index: 0,
          delta: {
            tool_calls: [{ index: 0, id: "call_1", function: { name: "f", arguments: "{}" } }],
          },
        }],
      },
      { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ]),
    { webSearch: none },
  );
  assertGrammar(tool);
  assert.deepEqual(
    (accumulate(tool) as Array<{ type: string }>).map((block) => block.type),
    ["text", "tool_use"],
  );
});

Deno.test("web search: OpenRouter non-streaming answer → search blocks, deduplicated", () => {
  const completion = ChatCompletion.parse(fixtureJson("openai/openrouter_web_plugin.json"));
  const message = openAIResponseToAnthropic(completion, {
    id: "msg_test",
    model: "claude-sonnet-4-5",
    thinking: false,
    toolNames: new Map(),
    inputTokens: 10,
    webSearch: { mode: "openrouter", query: "latest deno", only: true },
  });
  assert.deepEqual(withoutIds(message.content), [
    { ...SEARCH_BLOCK, input: { query: "latest deno" } },
    {
      type: "web_search_tool_result",
      content: [
        {
          type: "web_search_result",
          url: "https://github.com/denoland/deno/releases",
          title: "Releases · denoland/deno",
          encrypted_content: "",
          page_age: null,
        },
        {
          type: "web_search_result",
          url: "https://deno.com/blog",
          title: "https://deno.com/blog",
          encrypted_content: "",
          page_age: null,
        },
      ],
      caller: { type: "direct" },
    },
    {
      type: "text",
      text:
        "The latest stable Deno is 2.9.6 [github.com](https://github.com/denoland/deno/releases).",
    },
  ]);
  assert.deepEqual(message.usage.server_tool_use, {
    web_search_requests: 1,
    web_fetch_requests: 0,
  });
  // As a stream (a gateway that answered a streaming request with JSON): the same grammar.
  const events: StreamEvent[] = messageToEvents(message);
  assertGrammar(events);
  assert.deepEqual(accumulate(events), message.content);
  // No search: the note, and 0 requests.
  const none = openAIResponseToAnthropic(completion, {
    id: "msg_test",
    model: "claude-sonnet-4-5",
    thinking: false,
    toolNames: new Map(),
    inputTokens: 10,
    webSearch: { mode: "none", query: "latest deno", only: true },
  });
  assert.deepEqual(none.content.map((block) => block.type), ["text", "text"]);
  assert.equal((none.content[0] as { text: string }).text, NO_SEARCH_NOTE);
  assert.deepEqual(none.usage.server_tool_use, { web_search_requests: 0, web_fetch_requests: 0 });
});

/** The official SDK against the handler, its fetch served by a fake upstream. */
function sdkClient(argv: string[], respond: () => Response) {
  const upstream = fakeFetch(respond);
  const lines: string[] = [];
  const logger = {
    enabled: () => true,
    log: (level: string, line: string) => lines.push(`${level} ${line}`),
  };
  const handler = createHandler(config(argv), { fetch: upstream.fetch, logger });
  const client = new Anthropic({
    baseURL: "http://proxy.test",
    apiKey: "sk-client",
    maxRetries: 0,
    fetch: (input: string | URL | Request, init?: RequestInit) => handler(new Request(input, init)),
  });
  return { client, requests: upstream.requests, lines };
}

Deno.test("web search: the SDK's finalMessage accumulates the search blocks (stream)", async () => {
  const { client, requests } = sdkClient(
    ["--provider", "openai", "--model", "gpt-4o-search-preview"],
    () => sseResponse(fixtureText("openai/openai_search_annotations.sse")),
  );
  const message = await client.messages.stream(
    CLAUDE_CODE_SEARCH as unknown as Anthropic.MessageCreateParamsStreaming,
  ).finalMessage();
  const sent = await requests[0].json();
  assert.deepEqual(sent.web_search_options, {});
  assert.equal(sent.tools, undefined);
  assert.deepEqual(withoutIds(message.content), [
    SEARCH_BLOCK,
    { type: "web_search_tool_result", content: OPENAI_RESULTS, caller: { type: "direct" } },
    { type: "text", text: OPENAI_TEXT },
  ]);
  assert.deepEqual(message.usage.server_tool_use, {
    web_search_requests: 1,
    web_fetch_requests: 0,
  });
});

Deno.test("web search: the SDK sees the honest answer from a backend without search", async () => {
  const { client, requests, lines } = sdkClient(
    ["--base-url", "http://upstream.test/v1", "--model", "llama3"],
    () =>
      Response.json({
        choices: [{ index: 0, message: { content: "From memory." }, finish_reason: "stop" }],
        usage: { prompt_tokens: 20, completion_tokens: 3 },
      }),
  );
  const message = await client.messages.create({
    ...CLAUDE_CODE_SEARCH,
    max_tokens: 1000,
  } as unknown as Anthropic.MessageCreateParamsNonStreaming);
  const sent = await requests[0].json();
  assert.equal(sent.web_search_options, undefined);
  assert.equal(sent.plugins, undefined);
  assert.equal(
    lines.filter((line) => /^warn .*this backend has no web search/.test(line)).length,
    1,
  );
  assert.deepEqual(message.content, [
    { type: "text", text: NO_SEARCH_NOTE },
    { type: "text", text: "From memory." },
  ]);
  assert.deepEqual(message.usage.server_tool_use, {
    web_search_requests: 0,
    web_fetch_requests: 0,
  });
});
