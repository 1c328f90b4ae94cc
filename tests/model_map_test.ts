/** Requested model → tier, backend, upstream model and what that backend accepts. */
import assert from "node:assert/strict";
import { type Config, loadConfig } from "../lib/config.ts";
import { chatCompletionsUrl, resolveRoute, tierOf } from "../lib/model_map.ts";

function config(argv: string[], env: Record<string, string> = {}): Config {
  const action = loadConfig(argv, env);
  if (action.action !== "serve") throw new Error("expected a serve action");
  return action.config;
}

Deno.test("tierOf picks the tier from the model name", () => {
  assert.equal(tierOf("claude-3-5-haiku-20241022"), "haiku");
  assert.equal(tierOf("claude-sonnet-4-5-20250929"), "sonnet");
  assert.equal(tierOf("claude-opus-5-5"), "opus");
  assert.equal(tierOf("Claude-OPUS-4-1"), "opus");
  assert.equal(tierOf("claude-sonnet-5[1m]"), "sonnet");
  assert.equal(tierOf("gpt-4o"), undefined);
  assert.equal(tierOf(""), undefined);
});

Deno.test("resolveRoute passes the requested model through without a configured model", () => {
  const route = resolveRoute(config([]), "gpt-4o-mini");
  assert.deepStrictEqual(route, {
    tier: undefined,
    backend: {
      baseUrl: "https://api.openai.com/v1",
      apiKey: undefined,
      model: undefined,
      type: "openai",
    },
    model: "gpt-4o-mini",
    label: "https://api.openai.com/v1",
    provider: "openai",
    options: {
      cleanSchemas: false,
      reasoningEffort: false,
      reasoningModel: false,
      acceptsPdf: true,
      sendUser: true,
      reasoningHistory: "off",
      thoughtSignatures: false,
      // gpt-4o-mini is not an OpenAI search model.
      webSearch: "none",
    },
  });
});

Deno.test("resolveRoute sends each tier to its backend and model", () => {
  const cfg = config([
    "--model",
    "main",
    "--haiku-model",
    "small",
    "--opus-base-url",
    "http://big:8000/v1",
  ]);
  const haiku = resolveRoute(cfg, "claude-3-5-haiku-latest");
  assert.equal(haiku.tier, "haiku");
  assert.equal(haiku.model, "small");
  assert.equal(haiku.label, "https://api.openai.com/v1");
  const opus = resolveRoute(cfg, "claude-opus-5-5");
  assert.equal(opus.tier, "opus");
  assert.equal(opus.model, "main");
  assert.equal(opus.label, "http://big:8000/v1");
  assert.equal(opus.options.acceptsPdf, false);
  assert.equal(resolveRoute(cfg, "mystery-model").model, "main");
});

Deno.test("resolveRoute cleans schemas and omits user for the Gemini host", () => {
  const cfg = config([
    "--base-url",
    "generativelanguage.googleapis.com/v1beta/openai",
    "--model",
    "gemini-2.5-pro",
  ]);
  assert.deepStrictEqual(resolveRoute(cfg, "claude-sonnet-4-5").options, {
    cleanSchemas: true,
    reasoningEffort: true,
    reasoningModel: false,
    acceptsPdf: false,
    sendUser: false,
    reasoningHistory: "off",
    thoughtSignatures: true,
    webSearch: "none",
  });
  assert.equal(
    resolveRoute(cfg, "claude-sonnet-4-5").label,
    "https://generativelanguage.googleapis.com/v1beta/openai",
  );
  const off = config([
    "--base-url",
    "generativelanguage.googleapis.com/v1beta/openai",
    "--clean-schemas",
    "off",
  ]);
  assert.equal(resolveRoute(off, "gemini-2.0-flash").options.cleanSchemas, false);
  assert.equal(resolveRoute(off, "gemini-2.0-flash").options.reasoningEffort, false);
  assert.equal(
    resolveRoute(config(["--clean-schemas", "on"]), "gpt-4o").options.cleanSchemas,
    true,
  );
});

Deno.test("resolveRoute recognises OpenAI reasoning models", () => {
  const cfg = config([]);
  for (const model of ["o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5.2-codex", "openai/gpt-5-mini"]) {
    const { options } = resolveRoute(cfg, model);
    assert.equal(options.reasoningModel, true, model);
    assert.equal(options.reasoningEffort, true, model);
  }
  for (
    const model of ["gpt-4o", "gpt-4.1", "deepseek-chat", "ollama/llama3", "claude-sonnet-4-5"]
  ) {
    const { options } = resolveRoute(cfg, model);
    assert.equal(options.reasoningModel, false, model);
    assert.equal(options.reasoningEffort, false, model);
  }
});

Deno.test("resolveRoute sends reasoning_effort to models known to take it", () => {
  const cfg = config([]);
  for (
    const model of ["gpt-oss-120b", "openai/gpt-oss-20b", "gemini-2.5-flash", "google/gemini-3-pro"]
  ) {
    assert.equal(resolveRoute(cfg, model).options.reasoningEffort, true, model);
    assert.equal(resolveRoute(cfg, model).options.reasoningModel, false, model);
  }
  assert.equal(
    resolveRoute(config(["--reasoning-effort", "on"]), "deepseek-chat").options.reasoningEffort,
    true,
  );
  assert.equal(
    resolveRoute(config(["--reasoning-effort", "off"]), "o3").options.reasoningEffort,
    false,
  );
});

Deno.test("resolveRoute accepts PDFs only on OpenAI and OpenRouter", () => {
  const pdf = (url: string) => resolveRoute(config(["--base-url", url]), "m").options.acceptsPdf;
  assert.equal(pdf("https://api.openai.com/v1"), true);
  assert.equal(pdf("https://openrouter.ai/api/v1"), true);
  assert.equal(pdf("https://api.deepseek.com/v1"), false);
  assert.equal(pdf("http://localhost:11434/v1"), false);
  assert.equal(pdf("https://notapi.openai.com.evil.test/v1"), false);
});

Deno.test("resolveRoute labels the backend without credentials or query", () => {
  const cfg = config(["--base-url", "https://user:secret@llm.test:8443/v1/?key=abc"]);
  const route = resolveRoute(cfg, "m");
  assert.equal(route.label, "https://llm.test:8443/v1");
  assert.equal(route.label.includes("secret"), false);
});

Deno.test("chatCompletionsUrl appends the endpoint unless it is already there", () => {
  assert.equal(
    chatCompletionsUrl("https://api.openai.com/v1"),
    "https://api.openai.com/v1/chat/completions",
  );
  assert.equal(
    chatCompletionsUrl("https://x.test/openai/deployments/d/chat/completions"),
    "https://x.test/openai/deployments/d/chat/completions",
  );
  assert.equal(
    chatCompletionsUrl("http://localhost:11434"),
    "http://localhost:11434/chat/completions",
  );
});

Deno.test("chatCompletionsUrl keeps a query such as Azure's api-version at the end", () => {
  const base =
    config(["--base-url", "https://r.openai.azure.com/openai/deployments/d?api-version=2024-10-21"])
      .backend.baseUrl;
  assert.equal(
    chatCompletionsUrl(base),
    "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21",
  );
  assert.equal(
    chatCompletionsUrl("https://r.test/v1/chat/completions?api-version=1"),
    "https://r.test/v1/chat/completions?api-version=1",
  );
});
