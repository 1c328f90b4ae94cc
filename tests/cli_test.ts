/**
 * The command line as a contract: run main.ts (or the binary in CLAUDE_PROXY_BIN) as a process.
 */
import assert from "node:assert/strict";
import { proxyCommand, startProxy } from "./_servers.ts";
import { VERSION } from "../lib/version.ts";

const ROOT = new URL("../", import.meta.url);

async function run(args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  const { command, args: fullArgs } = proxyCommand(args);
  const output = await new Deno.Command(command, {
    args: Deno.env.get("CLAUDE_PROXY_BIN")
      ? fullArgs
      : fullArgs.map((arg) => (arg === "main.ts" ? new URL("main.ts", ROOT).pathname : arg)),
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("cli --help lists every flag and exits 0", async () => {
  const result = await run(["--help"]);
  assert.equal(result.code, 0);
  for (
    const flag of [
      "--port",
      "--host",
      "--base-url",
      "--api-key",
      "--model",
      "--haiku-model",
      "--sonnet-base-url",
      "--opus-api-key",
      "--max-tokens-cap",
      "--log-level",
      "--env-file",
    ]
  ) assert.ok(result.stdout.includes(flag), `missing ${flag}`);
  assert.match(result.stdout, /OPEN_AI_URL/);
});

Deno.test("cli --version prints the version from deno.json", async () => {
  const result = await run(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), `claude-proxy ${VERSION}`);
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(config.version, VERSION);
});

Deno.test("cli bad flags and values exit 2 with one clear line", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--bogus"], /unknown flag --bogus/],
    [["--port", "http"], /--port must be a whole number/],
    [["--port", "70000"], /--port must be a whole number from 0 to 65535/],
    [["--log-level", "loud"], /--log-level must be one of error, warn, info, debug/],
    [["--base-url", "ftp://x"], /--base-url must be an http or https URL/],
    [["--model"], /--model needs a value/],
  ];
  for (const [args, message] of cases) {
    const result = await run(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
  const env = await run([], { PORT: "abc" });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /PORT must be a whole number/);
});

Deno.test("cli start line shows backend and mapping, never the key", async () => {
  const proxy = await startProxy(
    [
      "--base-url",
      "api.groq.com/openai/v1",
      "--model",
      "llama-3.3-70b",
      "--haiku-model",
      "llama-3.1-8b",
    ],
    { API_KEY: "sk-very-secret-value-123" },
  );
  try {
    const text = proxy.stderr();
    assert.match(text, /listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(text, /https:\/\/api\.groq\.com\/openai\/v1/);
    assert.match(text, /llama-3\.3-70b/);
    assert.match(text, /haiku.*llama-3\.1-8b/);
    assert.match(text, /configured API key/);
    assert.doesNotMatch(text, /sk-very-secret/);
  } finally {
    await proxy.close();
  }
});

Deno.test("cli precedence: flag over environment over .env file over default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/.env`,
      "OPEN_MODEL=from-dotenv\nOPEN_AI_URL=http://127.0.0.1:9/v1\nLOG_LEVEL=warn\n",
    );
    const { command, args } = proxyCommand(["--port", "0", "--env-file", `${dir}/.env`]);
    const fullArgs = args.map((
      arg,
    ) => (arg === "main.ts" ? new URL("main.ts", ROOT).pathname : arg));
    const start = async (extra: string[], env: Record<string, string>) => {
      const child = new Deno.Command(command, {
        args: [...fullArgs, ...extra],
        cwd: dir,
        env,
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reader = child.stderr.getReader();
      let text = "";
      while (!/upstream auth/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      child.kill();
      await reader.cancel();
      await child.status;
      return text;
    };
    assert.match(await start([], {}), /backend http:\/\/127\.0\.0\.1:9\/v1, model from-dotenv/);
    assert.match(await start([], { OPEN_MODEL: "from-env" }), /model from-env/);
    assert.match(
      await start(["--model", "from-flag"], { OPEN_MODEL: "from-env" }),
      /model from-flag/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli reads the settings setup wrote unless ./.env exists; --env-file beats both", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/xdg/claude-proxy`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/xdg/claude-proxy/env`,
      "OPEN_MODEL=from-setup\nOPEN_AI_URL=http://127.0.0.1:9/v1\n",
    );
    await Deno.mkdir(`${dir}/work`);
    await Deno.mkdir(`${dir}/other`);
    await Deno.writeTextFile(`${dir}/other/.env`, "OPEN_MODEL=from-dotenv\n");
    await Deno.writeTextFile(`${dir}/explicit.env`, "OPEN_MODEL=from-explicit\n");
    const { command, args } = proxyCommand(["--port", "0"]);
    const fullArgs = args.map((arg) => arg === "main.ts" ? new URL("main.ts", ROOT).pathname : arg);
    const startLine = async (cwd: string, extra: string[] = []) => {
      const child = new Deno.Command(command, {
        args: [...fullArgs, ...extra],
        cwd,
        env: { XDG_CONFIG_HOME: `${dir}/xdg`, HOME: dir },
        clearEnv: true,
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reader = child.stderr.getReader();
      let text = "";
      const deadline = Date.now() + 30_000;
      while (!/upstream auth/.test(text) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      child.kill();
      await reader.cancel();
      await child.status;
      return text;
    };
    assert.match(
      await startLine(`${dir}/work`),
      /backend http:\/\/127\.0\.0\.1:9\/v1, model from-setup/,
    );
    assert.match(await startLine(`${dir}/other`), /model from-dotenv/);
    assert.match(
      await startLine(`${dir}/other`, ["--env-file", `${dir}/explicit.env`]),
      /model from-explicit/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli reports a port already in use in one line", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = String((listener.addr as Deno.NetAddr).port);
    const result = await run(["--port", port]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
  } finally {
    listener.close();
  }
});
