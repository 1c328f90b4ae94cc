/**
 * Provider presets (issue 3): --provider / PROVIDER, inference from the base URL's host, the
 * switches each preset sets, every switch settable on its own, Azure's URL and key header, and
 * one consistent set of thinking parameters upstream.
 */
import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { type Config, ConfigError, FLAGS, loadConfig } from "../lib/config.ts";
import { chatProbe } from "../lib/cli/probe.ts";
import { helpText } from "../lib/help.ts";
import { chatCompletionsUrl, resolveRoute } from "../lib/model_map.ts";
import { inferProvider, PRESETS, PROVIDERS } from "../lib/providers.ts";
import { basic, completion, handlerWith, post } from "./_handler.ts";
import { translate as translateBody } from "./_request.ts";

const translate = (body: Record<string, unknown>, options: Parameters<typeof translateBody>[1]) =>
  translateBody({ messages: [{ role: "user", content: "hi" }], ...body }, options);

function config(argv: string[], env: Record<string, string> = {}): Config {
  const action = loadConfig(argv, env);
  if (action.action !== "serve") throw new Error("expected a serve action");
  return action.config;
}

Deno.test("--provider sets the default base URL; --base-url and PROVIDER work too", () => {
  for (const provider of PROVIDERS) {
    if (!PRESETS[provider].baseUrl) continue;
    equal(config(["--provider", provider]).backend.baseUrl, PRESETS[provider].baseUrl);
  }
  equal(config([], { PROVIDER: "groq" }).backend.baseUrl, "https://api.groq.com/openai/v1");
  equal(config(["--provider", "ollama"]).backend.baseUrl, "http://localhost:11434/v1");
  const own = config(["--provider", "vllm", "--base-url", "http://gpu:9000/v1"]);
  equal(own.backend.baseUrl, "http://gpu:9000/v1");
  equal(resolveRoute(own, "m").provider, "vllm");
  throws(() => loadConfig(["--provider", "azure"], {}), ConfigError);
  throws(() => loadConfig(["--provider", "bedrock"], {}), /must be one of openai, gemini/);
});

Deno.test("the provider is inferred from the base URL's host", () => {
  deepStrictEqual(
    [
      "https://api.openai.com/v1",
      "https://generativelanguage.googleapis.com/v1beta/openai",
      "https://api.deepseek.com",
      "https://openrouter.ai/api/v1",
      "https://api.groq.com/openai/v1",
      "https://res.openai.azure.com/openai/deployments/gpt-4o",
      "http://localhost:11434/v1",
      "http://127.0.0.1:1234/v1",
      "http://localhost:8000/v1",
      "https://api.together.xyz/v1",
    ].map(inferProvider),
    [
      "openai",
      "gemini",
      "deepseek",
      "openrouter",
      "groq",
      "azure",
      "ollama",
      "lmstudio",
      "vllm",
      "custom",
    ],
  );
});

Deno.test("each preset sets its quirk switches; each switch can still be set on its own", () => {
  const options = (argv: string[], model = "m") => resolveRoute(config(argv), model).options;
  const gemini = options(["--provider", "gemini"], "gemini-3-pro-preview");
  deepStrictEqual(
    [gemini.cleanSchemas, gemini.sendUser, gemini.acceptsPdf, gemini.thoughtSignatures],
    [true, false, false, true],
  );
  equal(gemini.reasoningEffort, true);
  const openrouter = options(["--provider", "openrouter"]);
  deepStrictEqual([openrouter.cleanSchemas, openrouter.acceptsPdf], [false, true]);
  equal(options(["--provider", "deepseek"]).reasoningHistory, "all");
  // Overrides, old and new.
  const tuned = options([
    "--provider",
    "gemini",
    "--clean-schemas",
    "off",
    "--reasoning-effort",
    "off",
    "--send-user",
    "on",
    "--pdf-files",
    "on",
    "--thought-signatures",
    "off",
    "--max-completion-tokens",
    "on",
  ], "gemini-3-pro-preview");
  deepStrictEqual(
    [
      tuned.cleanSchemas,
      tuned.reasoningEffort,
      tuned.sendUser,
      tuned.acceptsPdf,
      tuned.thoughtSignatures,
      tuned.maxCompletionTokens,
    ],
    [false, false, true, true, false, true],
  );
  // A tier on another host gets that host's preset, not --provider's.
  const mixed = config([
    "--provider",
    "deepseek",
    "--haiku-base-url",
    "https://generativelanguage.googleapis.com/v1beta/openai",
  ]);
  equal(resolveRoute(mixed, "claude-haiku-4-5").provider, "gemini");
  equal(resolveRoute(mixed, "claude-sonnet-4-5").provider, "deepseek");
  // The max_completion_tokens switch decides the token field.
  const body = translate({}, { maxCompletionTokens: true }).value;
  ok("max_completion_tokens" in body && !("max_tokens" in body));
});

Deno.test("--help lists every preset and the new switches", () => {
  const help = helpText();
  for (const provider of PROVIDERS) ok(help.includes(`  ${provider} `), provider);
  for (const flag of ["provider", "reasoning-history", "thought-signatures", "azure-api-version"]) {
    ok(FLAGS.some((spec) => spec.flag === flag));
    ok(help.includes(`--${flag} `), flag);
  }
});

Deno.test("Azure: deployment URL with api-version, key in the api-key header", async () => {
  const deployment = "https://res.openai.azure.com/openai/deployments/gpt-4o";
  const cfg = config(["--base-url", deployment, "--api-key", "az-key", "--retries", "0"]);
  equal(cfg.backend.baseUrl, `${deployment}?api-version=2024-10-21`);
  equal(
    chatCompletionsUrl(cfg.backend.baseUrl),
    `${deployment}/chat/completions?api-version=2024-10-21`,
  );
  const route = resolveRoute(cfg, "claude-sonnet-4-5");
  equal(route.label, deployment);
  equal(route.apiKeyHeader, "api-key");

  const { handler, requests } = handlerWith(() => completion("hi"), cfg);
  const response = await handler(
    post("/v1/messages", basic, { "anthropic-version": "2023-06-01" }),
  );
  equal(response.status, 200);
  const sent = requests[0];
  equal(sent.url, `${deployment}/chat/completions?api-version=2024-10-21`);
  equal(sent.headers.get("api-key"), "az-key");
  equal(sent.headers.get("authorization"), null);

  // An explicit api-version (in the URL or the flag) and the v1 API are kept as they are.
  equal(
    config(["--provider", "azure", "--base-url", `${deployment}?api-version=2025-01-01`])
      .backend.baseUrl,
    `${deployment}?api-version=2025-01-01`,
  );
  equal(
    config(["--provider", "azure", "--base-url", deployment, "--azure-api-version", "2025-04-01"])
      .backend.baseUrl,
    `${deployment}?api-version=2025-04-01`,
  );
  equal(
    config(["--provider", "azure", "--base-url", "https://res.openai.azure.com/openai/v1"])
      .backend.baseUrl,
    "https://res.openai.azure.com/openai/v1",
  );
});

// ---- Thinking: one consistent set of upstream parameters --------------------------------------

const EFFORT_KEYS = ["reasoning_effort", "reasoning", "thinking", "chat_template_kwargs"];

function thinkingOut(body: Record<string, unknown>, reasoningModel = false) {
  const value: Record<string, unknown> = {
    ...translate(body, { reasoningEffort: true, reasoningModel }).value,
  };
  return Object.fromEntries(
    EFFORT_KEYS.filter((key) => key in value).map((key) => [key, value[key]]),
  );
}

Deno.test("thinking: disabled with an effort, adaptive and budgets map to one consistent effort", () => {
  // Disabled wins over any effort setting: nothing at all is sent.
  deepStrictEqual(
    thinkingOut({ thinking: { type: "disabled" }, output_config: { effort: "high" } }),
    {},
  );
  deepStrictEqual(thinkingOut({ output_config: { effort: "high" } }), {});
  // Adaptive: the effort setting, else medium; its budget_tokens (0) is ignored.
  deepStrictEqual(thinkingOut({ thinking: { type: "adaptive" } }), { reasoning_effort: "medium" });
  deepStrictEqual(
    thinkingOut({
      thinking: { type: "adaptive", budget_tokens: 0 },
      output_config: { effort: "low" },
    }),
    { reasoning_effort: "low" },
  );
  deepStrictEqual(
    thinkingOut({ thinking: { type: "adaptive" }, output_config: { effort: "max" } }),
    { reasoning_effort: "high" },
  );
  // Budgets, and an effort setting that wins over a budget instead of contradicting it.
  const budget = (budget_tokens: number) =>
    thinkingOut({ max_tokens: 64000, thinking: { type: "enabled", budget_tokens } });
  deepStrictEqual(
    [1024, 4096, 16384, 63999].map((tokens) => budget(tokens).reasoning_effort),
    ["low", "medium", "high", "high"],
  );
  deepStrictEqual(
    thinkingOut({
      max_tokens: 64000,
      thinking: { type: "enabled", budget_tokens: 32000 },
      output_config: { effort: "low" },
    }),
    { reasoning_effort: "low" },
  );
  // Reasoning models: the same effort, with no sampling parameters next to it.
  const reasoning = translate({
    thinking: { type: "enabled", budget_tokens: 2048 },
    temperature: 1,
    top_p: 0.9,
  }, { reasoningEffort: true, reasoningModel: true }).value;
  equal(reasoning.reasoning_effort, "low");
  ok(!("temperature" in reasoning) && !("top_p" in reasoning) && !("max_tokens" in reasoning));
});

Deno.test("doctor's probe reaches Azure with the api-version query and the api-key header", async () => {
  const seen: Request[] = [];
  const fetchFn = (input: Request | URL | string, init?: RequestInit) => {
    seen.push(new Request(input, init));
    return Promise.resolve(completion("OK"));
  };
  const baseUrl = config([
    "--base-url",
    "https://res.openai.azure.com/openai/deployments/gpt-4o",
  ]).backend.baseUrl;
  const result = await chatProbe({ baseUrl, apiKey: "az", model: "gpt-4o" }, {
    fetch: fetchFn as typeof fetch,
  });
  equal(result.ok, true);
  equal(
    seen[0].url,
    "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
  );
  equal(seen[0].headers.get("api-key"), "az");
  equal(seen[0].headers.get("authorization"), null);
  // Other backends keep Bearer.
  await chatProbe({ baseUrl: "http://local:8000/v1", apiKey: "k", model: "m" }, {
    fetch: fetchFn as typeof fetch,
  });
  equal(seen.at(-1)!.url, "http://local:8000/v1/chat/completions");
  equal(seen.at(-1)!.headers.get("authorization"), "Bearer k");
});
