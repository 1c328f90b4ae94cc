import assert from "node:assert/strict";
import { parseConfigFile } from "../lib/config_file.ts";
import {
  anthropicRouteRequest,
  describeRouting,
  estimateInputTokens,
  modelMatches,
  openAIRouteRequest,
  type RouteRequest,
  selectRoute,
} from "../lib/routing.ts";

const ALL = parseConfigFile(
  JSON.stringify({
    providers: [
      { name: "a", base_url: "http://127.0.0.1:1/v1" },
      { name: "b", base_url: "http://127.0.0.1:2/v1" },
    ],
    routes: {
      default: ["a/default", "b/default"],
      background: "a/bg",
      think: "a/think",
      long_context: "b/long",
      web_search: "b/search",
      image: "b/vision",
      sonnet: "a/sonnet",
      opus: ["b/opus", "a/opus"],
      "claude-3-*": "a/legacy",
      "gpt-?o": "b/gpt",
    },
    long_context_threshold: 1000,
  }),
  "all.json",
  {},
).routing;

const request = (overrides: Partial<RouteRequest> = {}): RouteRequest => ({
  model: "claude-sonnet-4-5",
  thinking: false,
  images: false,
  webSearch: false,
  inputTokens: 10,
  ...overrides,
});
const pick = (overrides: Partial<RouteRequest>, routing = ALL) => {
  const selection = selectRoute(request(overrides), routing);
  return selection && [selection.reason, selection.targets.map((t) => `${t.provider}/${t.model}`)];
};

Deno.test("selectRoute: each scenario", () => {
  assert.deepEqual(pick({ model: "claude-3-5-haiku-20241022" }), ["background", ["a/bg"]]);
  assert.deepEqual(pick({ thinking: true }), ["think", ["a/think"]]);
  assert.deepEqual(pick({ inputTokens: 1001 }), ["long_context", ["b/long"]]);
  assert.deepEqual(pick({ inputTokens: 1000 }), ["sonnet", ["a/sonnet"]]);
  assert.deepEqual(pick({ webSearch: true }), ["web_search", ["b/search"]]);
  assert.deepEqual(pick({ images: true }), ["image", ["b/vision"]]);
});

Deno.test("selectRoute: scenario order long_context > background > web_search > image > think", () => {
  const everything = {
    model: "claude-haiku-4-5",
    thinking: true,
    images: true,
    webSearch: true,
    inputTokens: 5000,
  };
  assert.equal(pick(everything)![0], "long_context");
  assert.equal(pick({ ...everything, inputTokens: 1 })![0], "background");
  assert.equal(pick({ ...everything, inputTokens: 1, model: "claude-opus-4" })![0], "web_search");
  assert.equal(pick({ thinking: true, images: true })![0], "image");
});

Deno.test("selectRoute: tiers, globs in file order, then default", () => {
  assert.deepEqual(pick({ model: "claude-opus-4-1" }), ["opus", ["b/opus", "a/opus"]]);
  assert.deepEqual(pick({ model: "claude-3-7-sonnet" }), ["sonnet", ["a/sonnet"]]);
  assert.deepEqual(pick({ model: "claude-3-opus" }), ["opus", ["b/opus", "a/opus"]]);
  assert.deepEqual(pick({ model: "claude-3-x" }), ["claude-3-*", ["a/legacy"]]);
  assert.deepEqual(pick({ model: "GPT-4o" }), ["gpt-?o", ["b/gpt"]]);
  assert.deepEqual(pick({ model: "mystery" }), ["default", ["a/default", "b/default"]]);
});

Deno.test("selectRoute: provider/model and provider,model overrides beat every route", () => {
  assert.deepEqual(pick({ model: "b/some/model", thinking: true, inputTokens: 1e6 }), [
    "override",
    ["b/some/model"],
  ]);
  assert.deepEqual(pick({ model: "a,x" }), ["override", ["a/x"]]);
  // An unknown provider prefix is just a model name.
  assert.deepEqual(pick({ model: "openai/gpt-4o" }), ["default", ["a/default", "b/default"]]);
});

Deno.test("selectRoute: without a default, unmatched requests go to the flag backend", () => {
  const routing = parseConfigFile(
    `{"providers": [{"name": "a", "base_url": "x"}], "routes": {"think": "a/t"}}`,
    "f",
    {},
  ).routing;
  assert.equal(pick({}, routing), undefined);
  assert.equal(pick({ model: "claude-haiku-4-5" }, routing), undefined);
  assert.deepEqual(pick({ thinking: true }, routing), ["think", ["a/t"]]);
  assert.deepEqual(pick({ model: "a/m" }, routing), ["override", ["a/m"]]);
});

Deno.test("modelMatches: tiers by word, globs anchored and escaped", () => {
  assert.ok(modelMatches("haiku", "claude-haiku-4-5"));
  assert.ok(!modelMatches("haiku", "claude-sonnet-4-5"));
  assert.ok(modelMatches("claude-*", "claude-x"));
  assert.ok(!modelMatches("claude-*", "xclaude-x"));
  assert.ok(!modelMatches("a.b", "axb"));
  assert.ok(modelMatches("a.b", "A.B"));
});

Deno.test("anthropicRouteRequest: thinking, images, web search, tokens", () => {
  const facts = anthropicRouteRequest({
    model: "claude-sonnet-4-5",
    thinking: { type: "enabled", budget_tokens: 2000 },
    tools: [{ type: "web_search_20250305", name: "web_search" }],
    messages: [{
      role: "user",
      content: [
        { type: "text", text: "x".repeat(400) },
        { type: "tool_result", tool_use_id: "t", content: [{ type: "image", source: {} }] },
      ],
    }],
  });
  assert.equal(facts.thinking, true);
  assert.equal(facts.webSearch, true);
  assert.equal(facts.images, true);
  assert.ok(facts.inputTokens >= 100 + 1600);
  const plain = anthropicRouteRequest({
    model: "m",
    thinking: { type: "disabled" },
    tools: [{ name: "Bash", input_schema: {} }],
    messages: [{ role: "user", content: "hi" }],
  });
  assert.deepEqual([plain.thinking, plain.webSearch, plain.images], [false, false, false]);
});

Deno.test("openAIRouteRequest: reasoning_effort, image_url, web search", () => {
  const facts = openAIRouteRequest({
    model: "gpt-4o",
    reasoning_effort: "high",
    web_search_options: {},
    messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }],
  });
  assert.deepEqual([facts.thinking, facts.webSearch, facts.images], [true, true, true]);
  const plain = openAIRouteRequest({ model: "m", messages: [{ role: "user", content: "hi" }] });
  assert.deepEqual([plain.thinking, plain.webSearch, plain.images], [false, false, false]);
});

Deno.test("estimateInputTokens: chars/4 over system, messages and tools", () => {
  assert.equal(
    estimateInputTokens({ system: "a".repeat(40), messages: [{ content: "b".repeat(40) }] }),
    Math.ceil((40 + 40 + "user".length * 0) / 4),
  );
  assert.equal(estimateInputTokens(undefined), 0);
});

Deno.test("describeRouting: selection order, no keys", () => {
  const lines = describeRouting(ALL);
  assert.equal(lines[0], "long_context (> 1000 tokens): b/long");
  assert.ok(lines.includes("opus: b/opus → a/opus"));
  assert.equal(lines.at(-1), "default: a/default → b/default");
});

Deno.test("providerView: preset, switches, timeouts and cap apply per provider", async () => {
  const { providerView } = await import("../lib/route_chain.ts");
  const { loadConfig } = await import("../lib/config.ts");
  const { resolveRoute } = await import("../lib/model_map.ts");
  const file = parseConfigFile(
    JSON.stringify({
      providers: [
        {
          name: "gw",
          base_url: "https://gateway.example/v1",
          preset: "deepseek",
          clean_schemas: "on",
          send_user: "off",
          max_tokens_cap: 7,
          timeouts: { first_byte: 3 },
        },
        { name: "az", base_url: "https://r.openai.azure.com/openai/deployments/d" },
      ],
    }),
    "f",
    {},
  );
  const result = loadConfig(["--max-tokens-cap", "100"], {}, file);
  assert.equal(result.action, "serve");
  const config = (result as { config: import("../lib/config.ts").Config }).config;
  const view = providerView(config, file.routing.providers.gw, "deepseek-chat");
  assert.equal(view.maxTokensCap, 7);
  assert.equal(view.timeouts.firstByteMs, 3000);
  assert.equal(view.timeouts.totalMs, config.timeouts.totalMs);
  const route = resolveRoute(view, "claude-sonnet-4-5");
  assert.equal(route.provider, "deepseek");
  assert.equal(route.model, "deepseek-chat");
  assert.equal(route.options.cleanSchemas, true);
  assert.equal(route.options.sendUser, false);
  assert.equal(route.options.reasoningHistory, "all");
  assert.match(file.routing.providers.az.baseUrl, /\?api-version=/);
  const azure = resolveRoute(providerView(config, file.routing.providers.az, "d"), "x");
  assert.equal(azure.apiKeyHeader, "api-key");
});
