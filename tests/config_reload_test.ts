/**
 * The config file end to end: the proxy process with --config, reload on SIGHUP and on file
 * change (valid and invalid), in-flight requests on their starting config, and the `config`
 * subcommand.
 */
import assert from "node:assert/strict";
import { type ProxyProcess, startMockUpstream, startProxy } from "./_servers.ts";
import { runCli } from "./_cli.ts";
import { STARTER } from "../lib/cli/config_cmd.ts";

const completion = (content: string) =>
  Response.json({
    id: "c",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  });

const fileFor = (urls: string[], target: string, comment = "") =>
  `// test config ${comment}
{
  "providers": [
    { "name": "p0", "base_url": "${urls[0]}", "api_key": "\${P0_KEY}", },
    { "name": "p1", "base_url": "${urls[1]}" },
  ],
  "routes": { "default": "${target}" },
}`;

async function waitFor(proxy: ProxyProcess, pattern: RegExp, from: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (pattern.test(proxy.stderr().slice(from))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${pattern} in:\n${proxy.stderr()}`);
}

async function ask(proxy: ProxyProcess): Promise<string | null> {
  const response = await fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  await response.body?.cancel();
  assert.equal(response.status, 200);
  return response.headers.get("x-claude-proxy-provider");
}

Deno.test({
  name: "config file: startup table, SIGHUP reload, invalid file rejected, file-change reload",
  ignore: Deno.build.os === "windows",
  async fn() {
    const slow = { ms: 0 };
    const mocks = [
      startMockUpstream(async () => {
        if (slow.ms) await new Promise((resolve) => setTimeout(resolve, slow.ms));
        return completion("p0");
      }),
      startMockUpstream(() => completion("p1")),
    ];
    const urls = mocks.map((mock) => mock.url);
    const dir = await Deno.makeTempDir();
    const path = `${dir}/config.jsonc`;
    await Deno.writeTextFile(path, fileFor(urls, "p0/x"));
    const proxy = await startProxy(["--config", path], { P0_KEY: "sk-secret-p0" });
    try {
      await waitFor(proxy, /route default: p0\/x/, 0);
      assert.ok(!proxy.stderr().includes("sk-secret-p0"));
      assert.equal(await ask(proxy), "p0");
      assert.equal(mocks[0].seen[0].headers.get("authorization"), "Bearer sk-secret-p0");
      const models = await (await fetch(`${proxy.url}/v1/models`, {
        headers: { "anthropic-version": "2023-06-01" },
      })).json();
      assert.ok(models.data.some((model: { id: string }) => model.id === "p0/x"));

      // SIGHUP: the new file applies; a request in flight finishes on the old config.
      slow.ms = 800;
      const inFlight = ask(proxy);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await Deno.writeTextFile(path, fileFor(urls, "p1/y", "second"));
      let mark = proxy.stderr().length;
      proxy.child.kill("SIGHUP");
      await waitFor(proxy, /SIGHUP: configuration reloaded/, mark);
      assert.equal(await ask(proxy), "p1");
      assert.equal(await inFlight, "p0");
      slow.ms = 0;

      // An invalid file is rejected with its reason; the running config stays.
      await Deno.writeTextFile(path, `{"routes": {"default": "nobody/x"}}`);
      mark = proxy.stderr().length;
      proxy.child.kill("SIGHUP");
      await waitFor(proxy, /rejected, keeping the running one: .*routes\.default/, mark);
      assert.equal(await ask(proxy), "p1");

      // A change to the file is picked up without a signal.
      mark = proxy.stderr().length;
      await Deno.writeTextFile(path, fileFor(urls, "p0/z", "third, longer"));
      await waitFor(proxy, /changed: configuration reloaded/, mark);
      assert.equal(await ask(proxy), "p0");
      assert.equal(mocks[0].seen.at(-1)!.body.model, "z");
    } finally {
      await proxy.close();
      for (const mock of mocks) await mock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("config file: CLAUDE_PROXY_CONFIG and a bad file at startup (exit 2, path and field)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/bad.json`;
    await Deno.writeTextFile(path, `{"providers": [{"name": "a", "base_url": 5}]}`);
    const result = await runCli([], { CLAUDE_PROXY_CONFIG: path });
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${path}: providers\\[0\\]\\.base_url`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config init writes a starter that config check accepts; keys are redacted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/c/config.json`;
    let result = await runCli(["config", "init", path]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await Deno.readTextFile(path), STARTER);
    result = await runCli(["config", "init", path]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /exists; pass --force/);
    result = await runCli(["config", "check", path]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /providers\[0\]\.api_key: environment variable DEEPSEEK_API_KEY/);
    result = await runCli(["config", "check", path], {
      DEEPSEEK_API_KEY: "sk-deepseek-secret",
      OPENROUTER_API_KEY: "sk-or-secret",
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /valid/);
    assert.match(
      result.stdout,
      /think: deepseek\/deepseek-reasoner → openrouter\/deepseek\/deepseek-r1/,
    );
    assert.match(result.stdout, /background: ollama\/qwen3-coder:30b/);
    assert.match(result.stdout, /deepseek: openai https:\/\/api\.deepseek\.com\/v1, key \*\*\*/);
    assert.ok(!result.stdout.includes("secret"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
