/**
 * `claude-proxy setup` against a temporary HOME and XDG_CONFIG_HOME, with a mock upstream for
 * the live test. Runs `deno run main.ts` or the binary in CLAUDE_PROXY_BIN.
 */
import assert from "node:assert/strict";
import { typedText } from "../lib/cli/setup.ts";
import { cliCommand, runCli } from "./_cli.ts";
import { startMockUpstream } from "./_servers.ts";

const completion = () =>
  Response.json({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content: "OK" }, finish_reason: "length" }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  });

async function withHome(
  fn: (home: { dir: string; env: Record<string, string> }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "claude-proxy-setup-" });
  await Deno.mkdir(`${dir}/bin`);
  try {
    await fn({ dir, env: { HOME: dir, XDG_CONFIG_HOME: `${dir}/xdg`, PATH: `${dir}/bin` } });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const backups = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(`${dir}/.claude`))).map((entry) => entry.name)
    .filter((name) => name.startsWith("settings.json.backup-")).sort();

Deno.test("setup --yes writes the env file (0600), settings.json, and passes the live test", async () => {
  const upstream = startMockUpstream(() => completion());
  try {
    await withHome(async ({ dir, env }) => {
      const result = await runCli([
        "setup",
        "--yes",
        "--base-url",
        upstream.url,
        "--api-key",
        "sk-test-123",
        "--model",
        "gpt-test",
        "--haiku-model",
        "gpt-mini",
      ], env);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const envFile = `${dir}/xdg/claude-proxy/env`;
      const text = await Deno.readTextFile(envFile);
      assert.match(text, new RegExp(`^OPEN_AI_URL=${upstream.url}$`, "m"));
      assert.match(text, /^API_KEY=sk-test-123$/m);
      assert.match(text, /^OPEN_MODEL=gpt-test$/m);
      assert.match(text, /^HAIKU_MODEL=gpt-mini$/m);
      assert.equal((await Deno.stat(envFile)).mode! & 0o777, 0o600);

      const settings = JSON.parse(await Deno.readTextFile(`${dir}/.claude/settings.json`));
      assert.deepEqual(settings, {
        env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:8787", ANTHROPIC_AUTH_TOKEN: "unused" },
      });
      // The live test: one chat request, max_tokens 1, with the configured key and model.
      assert.equal(upstream.seen.length, 1);
      assert.equal(upstream.seen[0].path, "/v1/chat/completions");
      assert.equal(upstream.seen[0].body.max_tokens, 1);
      assert.equal(upstream.seen[0].body.model, "gpt-test");
      assert.equal(upstream.seen[0].headers.get("authorization"), "Bearer sk-test-123");
      assert.match(result.stdout, /✅ backend .*went through/);
      // No claude on PATH: say how to install it.
      assert.match(result.stdout, /npm install -g @anthropic-ai\/claude-code/);
      assert.doesNotMatch(result.stdout + result.stderr, /sk-test-123/);

      // --undo removes the settings.json setup created.
      const undo = await runCli(["setup", "--undo"], env);
      assert.equal(undo.code, 0, undo.stdout + undo.stderr);
      await assert.rejects(Deno.stat(`${dir}/.claude/settings.json`));
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("setup --yes with an anthropic backend runs its live test through the Messages API", async () => {
  const upstream = startMockUpstream(() =>
    Response.json({
      type: "message",
      role: "assistant",
      model: "claude-haiku-4-5",
      content: [{ type: "text", text: "OK" }],
    })
  );
  try {
    await withHome(async ({ env }) => {
      const result = await runCli([
        "setup",
        "--yes",
        "--backend-type",
        "anthropic",
        "--base-url",
        upstream.url,
        "--api-key",
        "sk-ant-123",
        "--model",
        "claude-haiku-4-5",
      ], env);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(upstream.seen.length, 1);
      assert.equal(upstream.seen[0].path, "/v1/messages");
      assert.equal(upstream.seen[0].body.max_tokens, 1);
      assert.equal(upstream.seen[0].headers.get("x-api-key"), "sk-ant-123");
      assert.match(result.stdout, /✅ backend .*Messages request to claude-haiku-4-5 went through/);
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("setup merges into settings.json, keeps unrelated settings, and --undo restores them", async () => {
  await withHome(async ({ dir, env }) => {
    await Deno.mkdir(`${dir}/.claude`);
    const original = JSON.stringify(
      {
        model: "opus",
        permissions: { allow: ["Bash(ls:*)"] },
        env: { FOO: "bar", ANTHROPIC_BASE_URL: "https://old.example" },
      },
      null,
      4,
    );
    await Deno.writeTextFile(`${dir}/.claude/settings.json`, original);
    await Deno.writeTextFile(`${dir}/bin/claude`, "#!/bin/sh\n");
    await Deno.chmod(`${dir}/bin/claude`, 0o755);
    const result = await runCli([
      "setup",
      "--yes",
      "--no-test",
      "--base-url",
      "http://127.0.0.1:1/v1",
      "--port",
      "9999",
      "--auth-token",
      "tok-1",
      "--claude-sonnet-model",
      "gpt-test",
    ], env);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const settings = JSON.parse(await Deno.readTextFile(`${dir}/.claude/settings.json`));
    assert.deepEqual(settings, {
      model: "opus",
      permissions: { allow: ["Bash(ls:*)"] },
      env: {
        FOO: "bar",
        ANTHROPIC_BASE_URL: "http://127.0.0.1:9999",
        ANTHROPIC_AUTH_TOKEN: "tok-1",
        ANTHROPIC_DEFAULT_SONNET_MODEL: "gpt-test",
      },
    });
    assert.match(result.stdout, /Claude Code found: .*\/bin\/claude/);
    assert.match(result.stdout, /live test skipped/);
    const saved = await backups(dir);
    assert.equal(saved.length, 1);
    assert.equal(await Deno.readTextFile(`${dir}/.claude/${saved[0]}`), original);

    // A second run adds a second backup; two undos walk back to the original.
    const again = await runCli(["setup", "--yes", "--no-test", "--port", "7777"], env);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal((await backups(dir)).length, 2);
    const env2 = JSON.parse(await Deno.readTextFile(`${dir}/.claude/settings.json`)).env;
    assert.equal(env2.ANTHROPIC_BASE_URL, "http://127.0.0.1:7777");
    // The env file keeps earlier values that this run did not change.
    const envText = await Deno.readTextFile(`${dir}/xdg/claude-proxy/env`);
    assert.match(envText, /^PROXY_AUTH_TOKEN=tok-1$/m);
    assert.match(envText, /^PORT=7777$/m);

    assert.equal((await runCli(["setup", "--undo"], env)).code, 0);
    assert.equal(
      JSON.parse(await Deno.readTextFile(`${dir}/.claude/settings.json`)).env.ANTHROPIC_BASE_URL,
      "http://127.0.0.1:9999",
    );
    assert.equal((await runCli(["setup", "--undo"], env)).code, 0);
    assert.equal(await Deno.readTextFile(`${dir}/.claude/settings.json`), original);
    const none = await runCli(["setup", "--undo"], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no backup/);
  });
});

Deno.test("setup keeps a malformed settings.json, backs it up, and refuses to edit it", async () => {
  await withHome(async ({ dir, env }) => {
    await Deno.mkdir(`${dir}/.claude`);
    const broken = '{ "env": { "FOO": "bar", }\n';
    await Deno.writeTextFile(`${dir}/.claude/settings.json`, broken);
    const result = await runCli([
      "setup",
      "--yes",
      "--no-test",
      "--base-url",
      "http://127.0.0.1:1/v1",
    ], env);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /settings\.json is not valid JSON/);
    assert.match(result.stderr, /Fix it/);
    assert.equal(await Deno.readTextFile(`${dir}/.claude/settings.json`), broken);
    const saved = await backups(dir);
    assert.equal(saved.length, 1);
    assert.equal(await Deno.readTextFile(`${dir}/.claude/${saved[0]}`), broken);
    // Nothing else was written.
    await assert.rejects(Deno.stat(`${dir}/xdg/claude-proxy/env`));
  });
});

Deno.test("setup reports a failing live test with the upstream's reason and exits 1", async () => {
  const upstream = startMockUpstream(() =>
    Response.json({
      error: { message: "Incorrect API key provided: sk-bad", type: "invalid_request_error" },
    }, {
      status: 401,
    })
  );
  try {
    await withHome(async ({ env }) => {
      const result = await runCli([
        "setup",
        "--yes",
        "--base-url",
        upstream.url,
        "--api-key",
        "sk-bad",
        "--model",
        "gpt-test",
      ], env);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /❌ backend .*rejected the API key \(401\)/);
      assert.match(result.stdout, /Incorrect API key provided/);
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("setup without XDG_CONFIG_HOME uses ~/.config, and rejects bad values with status 2", async () => {
  await withHome(async ({ dir, env }) => {
    const { XDG_CONFIG_HOME: _, ...noXdg } = env;
    const ok = await runCli(["setup", "--yes", "--no-test", "--model", "m"], noXdg);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(await Deno.readTextFile(`${dir}/.config/claude-proxy/env`), /^OPEN_MODEL=m$/m);
    const bad = await runCli(["setup", "--yes", "--port", "http"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /PORT must be a whole number/);
  });
});

const hasScript = new Deno.Command("script", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((output) => output.success, () => false);

Deno.test({
  name: "interactive setup at a terminal does not echo the API key, and applies backspace",
  ignore: !(await hasScript),
  async fn() {
    await withHome(async ({ dir, env }) => {
      // util-linux `script` gives the process a pseudo-terminal; its echo is what we capture.
      const { command, args } = cliCommand(["setup", "--no-test"]);
      const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
      const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
      const child = new Deno.Command("script", {
        args: ["-qfec", [command, ...args].map(quote).join(" "), "/dev/null"],
        env: { ...env, PATH: `${env.PATH}:${Deno.env.get("PATH")}`, DENO_DIR: denoDir },
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const writer = child.stdin.getWriter();
      let screen = "";
      const reading = (async () => {
        const decoder = new TextDecoder();
        for await (const bytes of child.stdout) screen += decoder.decode(bytes, { stream: true });
      })();
      const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
      try {
        // Answer each prompt only once it is shown, as a person would.
        const answer = async (prompt: RegExp, typed: string) => {
          for (let i = 0; i < 600 && !prompt.test(screen); i++) {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          assert.match(screen, prompt);
          await writer.write(new TextEncoder().encode(typed));
        };
        await answer(/base URL.*: $/, "http://127.0.0.1:9/v1\r");
        await answer(/API key.*: $/, "sk-hidden-1234x\x7f5\r");
        await answer(/every request.*: $/, "gpt-test\r");
        await answer(/haiku tier.*: $/, "\r");
        await answer(/Go ahead\? \[Y\/n\] $/, "y\r");
        assert.equal((await child.status).code, 0, screen);
        await writer.close().catch(() => {});
        await reading;
      } finally {
        clearTimeout(kill);
      }
      assert.match(screen, /http:\/\/127\.0\.0\.1:9\/v1/); // ordinary answers are echoed
      assert.doesNotMatch(screen, /sk-hidden/);
      const written = await Deno.readTextFile(`${dir}/xdg/claude-proxy/env`);
      assert.match(written, /^API_KEY=sk-hidden-12345$/m);
    });
  },
});

Deno.test("typedText applies backspace and delete, cancels on Ctrl-C or Ctrl-D", () => {
  assert.equal(typedText("sk-ab\x7fc\bd"), "sk-ad");
  assert.equal(typedText("\x7f\x7fkey"), "key");
  assert.equal(typedText("sk-\x1b[Dkey"), "sk-[Dkey");
  assert.equal(typedText("sk-key\x03"), undefined);
  assert.equal(typedText("\x04"), undefined);
});
