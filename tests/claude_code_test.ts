/**
 * End to end with the real Claude Code CLI (npm @anthropic-ai/claude-code, installed by
 * `deno task test:deps` into .cache/e2e): headless, offline, with a throwaway HOME, pointed at the
 * proxy, which is pointed at a mock OpenAI upstream. The upstream answers with a tool call that
 * runs a shell command writing a file, then — once the tool result comes back — with text.
 */
import assert from "node:assert/strict";
import { sseText } from "./_helpers.ts";
import { type SeenRequest, startMockUpstream, startProxy, textChunks } from "./_servers.ts";

const CLAUDE = new URL("../.cache/e2e/node_modules/.bin/claude", import.meta.url).pathname;

function claudeInstalled(): boolean {
  try {
    Deno.statSync(CLAUDE);
    return true;
  } catch {
    return false;
  }
}

const sse = (chunks: unknown[]) =>
  new Response(sseText(chunks), { headers: { "content-type": "text/event-stream" } });

function hasTool(request: SeenRequest, name: string): boolean {
  const tools = (request.body.tools ?? []) as Array<{ function: { name: string } }>;
  return tools.some((tool) => tool.function.name === name);
}

function toolMessages(request: SeenRequest): Array<{ tool_call_id: string; content: string }> {
  const messages = request.body.messages as Array<Record<string, unknown>>;
  return messages.filter((message) => message.role === "tool") as never;
}

Deno.test({
  name: "Claude Code CLI runs a tool round trip through the proxy",
  // CI installs the CLI (deno task test:deps); a developer without it sees this test fail loudly.
  ignore: !claudeInstalled() && Deno.env.get("CI") !== "true" &&
    Deno.env.get("REQUIRE_CLAUDE") !== "1",
  async fn() {
    assert.ok(claudeInstalled(), `Claude Code CLI not found at ${CLAUDE}; run deno task test:deps`);
    const work = await Deno.makeTempDir({ prefix: "claude-proxy-e2e-" });
    const home = await Deno.makeTempDir({ prefix: "claude-proxy-home-" });
    const target = `${work}/proof.txt`;
    const base = {
      id: "chatcmpl-cc",
      object: "chat.completion.chunk",
      created: 1,
      model: "gpt-test",
    };
    const upstream = startMockUpstream((request) => {
      if (!hasTool(request, "Bash")) return sse(textChunks("ok")); // side calls (titles…)
      if (toolMessages(request).length === 0) {
        const args = JSON.stringify({
          command: `echo proxied-by-claude-proxy > ${target}`,
          description: "Write the proof file",
        });
        return sse([
          { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
          {
            ...base,
            choices: [{
              index: 0,
              delta: {
                tool_calls: [{
                  index: 0,
                  id: "call_bash_1",
                  type: "function",
                  function: { name: "Bash", arguments: args.slice(0, 20) },
                }],
              },
            }],
          },
          {
            ...base,
            choices: [{
              index: 0,
              delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(20) } }] },
            }],
          },
          { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
          {
            ...base,
            choices: [],
            usage: { prompt_tokens: 900, completion_tokens: 30, total_tokens: 930 },
          },
        ]);
      }
      return sse(textChunks("The file was written through the proxy."));
    });
    const proxy = await startProxy(["--base-url", upstream.url, "--model", "gpt-test"]);
    try {
      const command = new Deno.Command(CLAUDE, {
        args: [
          "-p",
          "Write the proof file, please.",
          "--output-format",
          "json",
          "--allowedTools",
          "Bash",
        ],
        cwd: work,
        clearEnv: true,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: home,
          ANTHROPIC_BASE_URL: proxy.url,
          ANTHROPIC_API_KEY: "sk-test-e2e",
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_AUTOUPDATER: "1",
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(120_000),
      });
      const result = await command.output();
      const stdout = new TextDecoder().decode(result.stdout);
      const stderr = new TextDecoder().decode(result.stderr);
      const context =
        `exit ${result.code}\nstdout: ${stdout}\nstderr: ${stderr}\nproxy: ${proxy.stderr()}`;
      assert.equal(result.code, 0, context);
      const output = JSON.parse(stdout);
      assert.equal(output.is_error, false, context);
      assert.equal(output.result, "The file was written through the proxy.", context);
      assert.equal(await Deno.readTextFile(target), "proxied-by-claude-proxy\n");

      // The turn after the tool call carried the tool result back to the backend.
      const followUp = upstream.seen.find((request) =>
        hasTool(request, "Bash") && toolMessages(request).length > 0
      );
      assert.ok(followUp, "no request carried the tool result");
      assert.equal(toolMessages(followUp).at(-1)?.tool_call_id, "call_bash_1");
      // Claude Code's Anthropic-only fields never reached the OpenAI backend.
      for (const request of upstream.seen) {
        for (
          const field of ["context_management", "thinking", "output_config", "metadata", "system"]
        ) {
          assert.equal(field in request.body, false, `${field} was forwarded`);
        }
        assert.doesNotMatch(
          JSON.stringify(request.body),
          /cache_control|x-anthropic-billing-header/,
        );
      }
    } finally {
      await proxy.close();
      await upstream.close();
      await Deno.remove(work, { recursive: true });
      await Deno.remove(home, { recursive: true });
    }
  },
});
