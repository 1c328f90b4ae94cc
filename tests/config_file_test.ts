import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../lib/config.ts";
import { interpolate, parseConfigFile, parseTarget, stripJsonc } from "../lib/config_file.ts";

const FILE = `// a comment
{
  /* block */ "providers": [
    { "name": "ds", "base_url": "api.deepseek.com/v1", "api_key": "\${DS_KEY}", },
    { "name": "local", "base_url": "http://127.0.0.1:11434/v1", "timeouts": { "first_byte": 5 } },
    { "name": "ant", "base_url": "https://api.anthropic.com", "headers": { "x-a": "1" } },
  ],
  "routes": {
    "default": ["ds/deepseek-chat", "local/qwen3"],
    "haiku": "local/qwen3",
    "think": "ds/deepseek-reasoner",
    "claude-3-*": "ant/claude-3-5-haiku-latest",
  },
  "settings": { "port": 9000, "log_level": "debug", "max_tokens_cap": 4096 },
}`;

Deno.test("stripJsonc: comments and trailing commas go, strings stay", () => {
  const text = `{"a": "// not a comment", "b": "/* nor this */", // yes
  "c": [1, 2, /* x */ ], "d": "a,]", /* end */ }`;
  assert.deepEqual(JSON.parse(stripJsonc(text)), {
    a: "// not a comment",
    b: "/* nor this */",
    c: [1, 2],
    d: "a,]",
  });
  assert.deepEqual(JSON.parse(stripJsonc(`{"e": "q\\"//x", }`)), { e: 'q"//x' });
  assert.equal(stripJsonc("[1,\n// c\n]"), "[1\n\n]");
});

Deno.test("interpolate: ${VAR} from the environment; a missing one names the field", () => {
  assert.deepEqual(interpolate({ a: ["x${A}y", 1] }, { A: "1" }, "f.json"), { a: ["x1y", 1] });
  assert.throws(
    () => interpolate({ p: [{ key: "${NOPE}" }] }, {}, "f.json"),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message === "f.json: p[0].key: environment variable NOPE is not set",
  );
});

Deno.test("parseTarget: provider/model and provider,model; the model may hold slashes", () => {
  assert.deepEqual(parseTarget("or/deepseek/deepseek-r1"), {
    provider: "or",
    model: "deepseek/deepseek-r1",
  });
  assert.deepEqual(parseTarget("ds,deepseek-chat"), { provider: "ds", model: "deepseek-chat" });
  assert.equal(parseTarget("claude-sonnet-4-5"), undefined);
});

Deno.test("parseConfigFile: providers, routes and settings", () => {
  const file = parseConfigFile(FILE, "c.jsonc", { DS_KEY: "sk-ds" });
  const { providers, routes } = file.routing;
  assert.equal(providers.ds.baseUrl, "https://api.deepseek.com/v1");
  assert.equal(providers.ds.apiKey, "sk-ds");
  assert.equal(providers.ds.type, "openai");
  assert.equal(providers.ant.type, "anthropic");
  assert.deepEqual(providers.ant.headers, { "x-a": "1" });
  assert.equal(providers.local.timeouts.firstByteMs, 5000);
  assert.deepEqual(routes.default, [
    { provider: "ds", model: "deepseek-chat" },
    { provider: "local", model: "qwen3" },
  ]);
  assert.deepEqual(routes.scenarios.think, [{ provider: "ds", model: "deepseek-reasoner" }]);
  assert.deepEqual(routes.models.map((route) => route.pattern), ["haiku", "claude-3-*"]);
  assert.equal(routes.longContextThreshold, 60_000);
  assert.deepEqual(file.settings, { port: "9000", "log-level": "debug", "max-tokens-cap": "4096" });
});

Deno.test("parseConfigFile: errors name the file and the field", () => {
  const cases: [string, RegExp][] = [
    ["{", /^c\.json: not valid JSON/],
    [`{"providers": [{"name": "a"}]}`, /^c\.json: providers\[0\]\.base_url: /],
    [`{"providers": [{"name": "a", "base_url": "x", "type": "grpc"}]}`, /providers\[0\]\.type/],
    [`{"providers": [{"name": "a", "base_url": "x", "colour": 1}]}`, /providers\[0\]: .*colour/],
    [`{"routes": {"default": "nope/x"}}`, /^c\.json: routes\.default: no provider named "nope"/],
    [
      `{"providers": [{"name": "a", "base_url": "x"}], "routes": {"think": ["a/m", "bare"]}}`,
      /routes\.think\[1\]: "bare" is not provider\/model/,
    ],
    [`{"settings": {"colour": 1}}`, /settings\.colour: not a known setting/],
    [
      `{"providers": [{"name": "a", "base_url": "x"}, {"name": "a", "base_url": "y"}]}`,
      /providers\[1\]\.name: provider "a" is defined twice/,
    ],
    [`{"providers": [{"name": "a", "base_url": "ftp://x"}]}`, /providers\[0\]\.base_url must be/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(
      () => parseConfigFile(text, "c.json", {}),
      (error: Error) => error instanceof ConfigError && pattern.test(error.message),
      text,
    );
  }
});

Deno.test("precedence: flags > environment > file settings > defaults", () => {
  const file = parseConfigFile(FILE, "c.jsonc", { DS_KEY: "k" });
  const load = (argv: string[], env: Record<string, string>) => {
    const result = loadConfig(argv, env, file);
    assert.equal(result.action, "serve");
    return (result as { config: import("../lib/config.ts").Config }).config;
  };
  assert.equal(load([], {}).port, 9000);
  assert.equal(load([], {}).logLevel, "debug");
  assert.equal(load([], { PORT: "9001" }).port, 9001);
  assert.equal(load(["--port", "9002"], { PORT: "9001" }).port, 9002);
  assert.equal(load([], {}).maxTokensCap, 4096);
  assert.equal(load([], {}).routing, file.routing);
  // A bad value in the file names the file.
  const bad = parseConfigFile(`{"settings": {"port": "x"}}`, "b.json", {});
  assert.throws(() => loadConfig([], {}, bad), /b\.json: settings\.port must be a whole number/);
});
