/** loadConfig: flags over the environment over defaults, and one clear message per mistake. */
import assert from "node:assert/strict";
import {
  type CliAction,
  type Config,
  ConfigError,
  envFileFlag,
  FLAGS,
  loadConfig,
  parseFlags,
} from "../lib/config.ts";

const OPENAI = "https://api.openai.com/v1";

function config(argv: string[] = [], env: Record<string, string | undefined> = {}): Config {
  const action: CliAction = loadConfig(argv, env);
  assert.equal(action.action, "serve");
  return (action as { config: Config }).config;
}

function fails(argv: string[], env: Record<string, string>, message: string) {
  assert.throws(() => loadConfig(argv, env), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message, message);
    assert.equal(error.message.includes("\n"), false);
    return true;
  });
}

Deno.test("loadConfig uses defaults when nothing is set", () => {
  const backend = { baseUrl: OPENAI, apiKey: undefined, model: undefined, type: "openai" };
  assert.deepStrictEqual(config(), {
    host: "127.0.0.1",
    port: 8787,
    backend,
    tiers: { haiku: backend, sonnet: backend, opus: backend },
    maxTokensCap: undefined,
    logLevel: "info",
    cleanSchemas: "auto",
    reasoningEffort: "auto",
    provider: undefined,
    reasoningHistory: "auto",
    thoughtSignatures: "auto",
    sendUser: "auto",
    pdfFiles: "auto",
    maxCompletionTokens: "auto",
    envFile: undefined,
    timeouts: { connectMs: 10_000, firstByteMs: 600_000, idleMs: 300_000, totalMs: 3_600_000 },
    retries: 2,
    maxBodyBytes: 32 * 1024 * 1024,
    authToken: undefined,
    allowUnauthenticated: false,
    corsOrigin: undefined,
    dynamicRouting: undefined,
    shutdownTimeoutMs: 30_000,
    pingIntervalMs: 10_000,
  });
});

Deno.test("loadConfig reads reliability and security settings", () => {
  const cfg = config([
    "--connect-timeout",
    "2.5",
    "--retries",
    "0",
    "--max-body-size",
    "1",
    "--allow-unauthenticated",
    "--allow-dynamic-routing",
    "api.groq.com, Example.org",
  ], { PROXY_AUTH_TOKEN: "tok", IDLE_TIMEOUT: "60", CORS_ORIGIN: "https://app.test" });
  assert.equal(cfg.timeouts.connectMs, 2500);
  assert.equal(cfg.timeouts.idleMs, 60_000);
  assert.equal(cfg.retries, 0);
  assert.equal(cfg.maxBodyBytes, 1024 * 1024);
  assert.equal(cfg.allowUnauthenticated, true);
  assert.equal(cfg.authToken, "tok");
  assert.equal(cfg.corsOrigin, "https://app.test");
  assert.deepStrictEqual(cfg.dynamicRouting, ["api.groq.com", "example.org"]);
  assert.throws(
    () => config(["--idle-timeout", "0"]),
    /--idle-timeout must be a number of seconds/,
  );
  assert.throws(() => config([], { ALLOW_UNAUTHENTICATED: "maybe" }), /must be true or false/);
});

Deno.test("loadConfig prefers flags over the environment", () => {
  const env = { PORT: "9000", OPEN_MODEL: "env-model", API_KEY: "env-key", LOG_LEVEL: "warn" };
  const fromEnv = config([], env);
  assert.equal(fromEnv.port, 9000);
  assert.deepStrictEqual(fromEnv.backend, {
    baseUrl: OPENAI,
    apiKey: "env-key",
    model: "env-model",
    type: "openai",
  });
  assert.equal(fromEnv.logLevel, "warn");
  const fromFlags = config(
    ["--port", "9100", "--model=flag-model", "--api-key", "flag-key", "--log-level", "DEBUG"],
    env,
  );
  assert.equal(fromFlags.port, 9100);
  assert.deepStrictEqual(fromFlags.backend, {
    baseUrl: OPENAI,
    apiKey: "flag-key",
    model: "flag-model",
    type: "openai",
  });
  assert.equal(fromFlags.logLevel, "debug");
});

Deno.test("loadConfig ignores empty environment values", () => {
  const cfg = config([], {
    PORT: "",
    OPEN_AI_URL: "",
    OPENAI_BASE_URL: "http://localhost:11434/v1",
  });
  assert.equal(cfg.port, 8787);
  assert.equal(cfg.backend.baseUrl, "http://localhost:11434/v1");
});

Deno.test("loadConfig reads OPEN_AI_URL before OPENAI_BASE_URL and API_KEY before OPENAI_API_KEY", () => {
  const both = config([], {
    OPEN_AI_URL: "https://api.deepseek.com/v1",
    OPENAI_BASE_URL: "https://openrouter.ai/api/v1",
    API_KEY: "first",
    OPENAI_API_KEY: "second",
  });
  assert.equal(both.backend.baseUrl, "https://api.deepseek.com/v1");
  assert.equal(both.backend.apiKey, "first");
  const second = config([], {
    OPENAI_BASE_URL: "https://openrouter.ai/api/v1",
    OPENAI_API_KEY: "k",
  });
  assert.equal(second.backend.baseUrl, "https://openrouter.ai/api/v1");
  assert.equal(second.backend.apiKey, "k");
});

Deno.test("loadConfig assumes https for a base URL without a scheme", () => {
  assert.equal(
    config([], { OPEN_AI_URL: "api.deepseek.com/v1/" }).backend.baseUrl,
    "https://api.deepseek.com/v1",
  );
  assert.equal(
    config(["--base-url", " http://127.0.0.1:8080/v1// "]).backend.baseUrl,
    "http://127.0.0.1:8080/v1",
  );
  assert.equal(
    config([], { SONNET_BASE_URL: "groq.example/openai/v1" }).tiers.sonnet.baseUrl,
    "https://groq.example/openai/v1",
  );
});

Deno.test("loadConfig lets each tier fall back to the main backend", () => {
  const cfg = config(["--opus-model", "big", "--haiku-base-url", "http://local:1234/v1"], {
    OPEN_MODEL: "main",
    API_KEY: "main-key",
    HAIKU_MODEL: "small",
    HAIKU_API_KEY: "haiku-key",
  });
  assert.deepStrictEqual(cfg.tiers, {
    haiku: { baseUrl: "http://local:1234/v1", apiKey: "haiku-key", model: "small", type: "openai" },
    sonnet: { baseUrl: OPENAI, apiKey: "main-key", model: "main", type: "openai" },
    opus: { baseUrl: OPENAI, apiKey: "main-key", model: "big", type: "openai" },
  });
});

Deno.test("loadConfig reads numbers and switches", () => {
  const cfg = config(
    [
      "--max-tokens-cap",
      "32000",
      "--clean-schemas",
      "on",
      "--host",
      "0.0.0.0",
      "--auth-token",
      "t",
    ],
    { REASONING_EFFORT: "Off" },
  );
  assert.equal(cfg.maxTokensCap, 32000);
  assert.equal(cfg.cleanSchemas, "on");
  assert.equal(cfg.reasoningEffort, "off");
  assert.equal(cfg.host, "0.0.0.0");
  assert.equal(config(["--port", "0"]).port, 0);
});

Deno.test("loadConfig rejects a bad port with one clear message", () => {
  fails(["--port", "abc"], {}, '--port must be a whole number from 0 to 65535, got "abc"');
  fails(["--port=70000"], {}, '--port must be a whole number from 0 to 65535, got "70000"');
  fails(["--port", "80.5"], {}, '--port must be a whole number from 0 to 65535, got "80.5"');
  fails(["--port="], {}, '--port must be a whole number from 0 to 65535, got ""');
  fails([], { PORT: "-1" }, 'PORT must be a whole number from 0 to 65535, got "-1"');
  fails(
    ["--max-tokens-cap", "0"],
    {},
    '--max-tokens-cap must be a whole number from 1 to 10000000, got "0"',
  );
});

Deno.test("loadConfig rejects unknown flags, stray arguments and missing values", () => {
  fails(["--bogus", "1"], {}, "unknown flag --bogus (see --help)");
  fails(["serve"], {}, 'unexpected argument "serve" (flags start with --; see --help)');
  fails(["--port"], {}, "--port needs a value");
  fails(["--model", "--port", "1"], {}, "--model needs a value");
});

Deno.test("loadConfig rejects a bad log level and bad switches", () => {
  fails(
    ["--log-level", "loud"],
    {},
    '--log-level must be one of error, warn, info, debug, got "loud"',
  );
  fails(
    [],
    { LOG_LEVEL: "trace" },
    'LOG_LEVEL must be one of error, warn, info, debug, got "trace"',
  );
  fails([], { CLEAN_SCHEMAS: "yes" }, 'CLEAN_SCHEMAS must be one of auto, on, off, got "yes"');
});

Deno.test("loadConfig rejects base URLs it cannot use", () => {
  fails(
    [],
    { OPENAI_BASE_URL: "ftp://files.test" },
    'OPENAI_BASE_URL must be an http or https URL, got "ftp://files.test"',
  );
  fails(["--base-url", "http://"], {}, '--base-url is not a valid URL: "http://"');
  fails(["--opus-base-url", "http://"], {}, '--opus-base-url is not a valid URL: "http://"');
});

Deno.test("loadConfig answers --help and --version before validating anything", () => {
  for (const flag of ["--help", "-h"]) {
    assert.deepStrictEqual(loadConfig([flag], {}), { action: "help" });
  }
  for (const flag of ["--version", "-V"]) {
    assert.deepStrictEqual(loadConfig([flag], {}), { action: "version" });
  }
  assert.deepStrictEqual(loadConfig(["--port", "x", "--help"], { LOG_LEVEL: "bad" }), {
    action: "help",
  });
});

Deno.test("envFileFlag finds --env-file in both spellings", () => {
  assert.equal(envFileFlag(["--port", "1", "--env-file", "a.env"]), "a.env");
  assert.equal(envFileFlag(["--env-file=b.env"]), "b.env");
  assert.equal(envFileFlag(["--port", "1"]), undefined);
  assert.equal(config(["--env-file", "c.env"]).envFile, "c.env");
});

Deno.test("FLAGS has unique flags and environment names", () => {
  const flags = FLAGS.map((spec) => spec.flag);
  const envs = FLAGS.flatMap((spec) => spec.env);
  assert.equal(new Set(flags).size, flags.length);
  assert.equal(new Set(envs).size, envs.length);
  for (const spec of FLAGS) assert.ok(spec.help.length > 0, spec.flag);
});

Deno.test("parseFlags skips the -- separator deno task passes through", () => {
  assert.deepEqual(parseFlags(["--", "--port", "9000"]), new Map([["port", "9000"]]));
});

Deno.test("loadConfig refuses a non-loopback host without an auth token", () => {
  assert.throws(
    () => config(["--host", "0.0.0.0"]),
    /refusing to listen on 0\.0\.0\.0 without --auth-token/,
  );
  assert.equal(config(["--host", "0.0.0.0", "--allow-unauthenticated"]).host, "0.0.0.0");
  assert.equal(config(["--host", "::"], { PROXY_AUTH_TOKEN: "t" }).host, "::");
  assert.equal(config(["--host", "localhost"]).host, "localhost");
  assert.equal(config(["--host", "127.0.0.2"]).host, "127.0.0.2");
  assert.equal(config(["--host", "[::1]"]).host, "[::1]");
});
