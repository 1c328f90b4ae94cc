/**
 * `claude-proxy doctor` against a mock upstream: all good, wrong key, unknown model, wrong URL,
 * rejected max_tokens, unreachable. Exit status 0 only when a request went through.
 */
import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { type SeenRequest, startMockUpstream } from "./_servers.ts";

const models = () =>
  Response.json({
    object: "list",
    data: [{ id: "gpt-test", object: "model" }, { id: "gpt-mini", object: "model" }],
  });
const completion = () =>
  Response.json({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content: "OK" }, finish_reason: "length" }],
  });
const error = (status: number, message: string) =>
  Response.json({ error: { message, type: "invalid_request_error" } }, { status });

async function doctorAgainst(
  respond: (request: SeenRequest) => Response,
  args: string[],
) {
  const upstream = startMockUpstream((request) => respond(request));
  try {
    const result = await runCli(["doctor", "--base-url", upstream.url, ...args]);
    return { ...result, seen: upstream.seen };
  } finally {
    await upstream.close();
  }
}

Deno.test("doctor: all good lists the models, sends one tiny request per model, exits 0", async () => {
  const result = await doctorAgainst(
    (request) => request.path.endsWith("/models") ? models() : completion(),
    ["--api-key", "sk-good", "--model", "gpt-test", "--haiku-model", "gpt-mini"],
  );
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /✅ configuration loads/);
  assert.match(result.stdout, /✅ models: gpt-test, gpt-mini/);
  assert.match(result.stdout, /All good/);
  const chats = result.seen.filter((request) => request.path === "/v1/chat/completions");
  assert.deepEqual(chats.map((request) => request.body.model).sort(), ["gpt-mini", "gpt-test"]);
  assert.ok(chats.every((request) => request.body.max_tokens === 1));
  assert.equal(chats[0].headers.get("authorization"), "Bearer sk-good");
  assert.doesNotMatch(result.stdout, /sk-good/);
});

Deno.test("doctor: an anthropic backend is probed through the Messages API, exit 0", async () => {
  const result = await doctorAgainst(
    (request) =>
      request.path.endsWith("/models")
        ? Response.json({ data: [{ id: "claude-haiku-4-5", type: "model" }], has_more: false })
        : Response.json({
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "claude-haiku-4-5",
          content: [{ type: "text", text: "OK" }],
          stop_reason: "max_tokens",
          usage: { input_tokens: 9, output_tokens: 1 },
        }),
    ["--backend-type", "anthropic", "--api-key", "sk-ant-good", "--model", "claude-haiku-4-5"],
  );
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\(anthropic Messages API\)/);
  assert.match(result.stdout, /✅ models: claude-haiku-4-5/);
  assert.match(result.stdout, /✅ a Messages request to claude-haiku-4-5 went through/);
  const sent = result.seen.find((request) => request.path === "/v1/messages");
  assert.ok(sent, result.seen.map((request) => request.path).join(", "));
  assert.deepEqual(sent.body.max_tokens, 1);
  assert.equal(sent.headers.get("x-api-key"), "sk-ant-good");
  assert.equal(sent.headers.get("anthropic-version"), "2023-06-01");
  assert.equal(sent.headers.get("authorization"), null);
  assert.doesNotMatch(result.stdout, /sk-ant-good/);
});

Deno.test("doctor: an anthropic backend's wrong key and wrong URL are told in its terms", async () => {
  const wrongKey = await doctorAgainst(
    () =>
      Response.json({
        type: "error",
        error: { type: "authentication_error", message: "invalid x-api-key" },
      }, { status: 401 }),
    ["--backend-type", "anthropic", "--api-key", "sk-ant-bad", "--model", "claude-haiku-4-5"],
  );
  assert.equal(wrongKey.code, 1, wrongKey.stdout);
  assert.match(wrongKey.stdout, /❌ the backend rejected the API key \(401\)/);
  assert.match(wrongKey.stdout, /invalid x-api-key/);
  const wrongUrl = await doctorAgainst(
    () => new Response("Not Found", { status: 404 }),
    ["--backend-type", "anthropic", "--api-key", "sk-ant-good", "--model", "claude-haiku-4-5"],
  );
  assert.equal(wrongUrl.code, 1, wrongUrl.stdout);
  assert.match(wrongUrl.stdout, /v1\/messages does not exist \(404\)/);
  assert.match(wrongUrl.stdout, /anthropic base URL is the API root/);
});

Deno.test("doctor: a wrong key is a 401 in plain words, exit 1", async () => {
  const result = await doctorAgainst(
    () => error(401, "Incorrect API key provided"),
    ["--api-key", "sk-wrong", "--model", "gpt-test"],
  );
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /❌ the backend rejected the API key \(401\)/);
  assert.match(result.stdout, /Incorrect API key provided/);
  assert.match(result.stdout, /--api-key/);
});

Deno.test("doctor: an unknown model is named, exit 1", async () => {
  const result = await doctorAgainst(
    (request) =>
      request.path.endsWith("/models")
        ? models()
        : error(404, "The model `gpt-nope` does not exist or you do not have access to it."),
    ["--api-key", "sk-good", "--model", "gpt-nope"],
  );
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /"gpt-nope" is not in the backend's model list/);
  assert.match(result.stdout, /❌ the backend does not know the model "gpt-nope" \(404\)/);
});

Deno.test("doctor: a wrong URL (plain 404) and a rejected max_tokens are told apart", async () => {
  const wrongUrl = await doctorAgainst(
    () => new Response("Not Found", { status: 404 }),
    ["--model", "gpt-test"],
  );
  assert.equal(wrongUrl.code, 1, wrongUrl.stdout);
  assert.match(
    wrongUrl.stdout,
    /chat\/completions does not exist \(404\): the base URL looks wrong/,
  );

  const maxTokens = await doctorAgainst(
    (request) =>
      request.path.endsWith("/models")
        ? models()
        : error(400, "max_tokens must be at least 16 for this model"),
    ["--model", "gpt-test"],
  );
  assert.equal(maxTokens.code, 1, maxTokens.stdout);
  assert.match(maxTokens.stdout, /❌ the backend rejects max_tokens \(400\)/);
  assert.match(maxTokens.stdout, /must be at least 16/);
});

Deno.test("doctor: an unreachable backend says so, exit 1", async () => {
  // A port that was free a moment ago: nothing listens there.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const result = await runCli([
    "doctor",
    "--base-url",
    `http://127.0.0.1:${port}/v1`,
    "--model",
    "m",
  ]);
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, new RegExp(`❌ cannot reach http://127\\.0\\.0\\.1:${port}`));
  assert.match(result.stdout, /check --base-url/);
});

Deno.test("doctor: a bad setting exits 2 and reads the same .env as the server", async () => {
  const bad = await runCli(["doctor", "--port", "http"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stdout + bad.stderr, /❌ configuration: --port must be a whole number/);

  const upstream = startMockUpstream((request) =>
    request.path.endsWith("/models") ? models() : completion()
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.env`, `OPEN_AI_URL=${upstream.url}\nOPEN_MODEL=gpt-mini\n`);
    const result = await runCli(["doctor"], {}, { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(upstream.seen.at(-1)?.body.model, "gpt-mini");
  } finally {
    await upstream.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor: with a config file, probes every routed provider/model in its own dialect", async () => {
  const upstream = startMockUpstream((request) =>
    request.path.endsWith("/models") ? models() : completion()
  );
  const anthropic = startMockUpstream((request) =>
    request.path.endsWith("/models")
      ? Response.json({ data: [{ id: "claude-x", type: "model" }] })
      : Response.json({
        type: "message",
        role: "assistant",
        model: "claude-x",
        content: [{ type: "text", text: "OK" }],
      })
  );
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/config.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        providers: [
          { name: "mock", base_url: upstream.url, api_key: "${MOCK_KEY}" },
          { name: "ant", type: "anthropic", base_url: anthropic.url, api_key: "${ANT_KEY}" },
        ],
        routes: { default: ["mock/gpt-test", "ant/claude-x"], haiku: "mock/gpt-mini" },
      }),
    );
    const result = await runCli(["doctor", "--config", path], {
      MOCK_KEY: "sk-file",
      ANT_KEY: "sk-ant-file",
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /config file .*: 2 routes/);
    const chats = upstream.seen.filter((request) => request.path === "/v1/chat/completions");
    assert.deepEqual(chats.map((request) => request.body.model).sort(), ["gpt-mini", "gpt-test"]);
    assert.equal(chats[0].headers.get("authorization"), "Bearer sk-file");
    const messages = anthropic.seen.filter((request) => request.path === "/v1/messages");
    assert.deepEqual(messages.map((request) => request.body.model), ["claude-x"]);
    assert.equal(messages[0].headers.get("x-api-key"), "sk-ant-file");
    assert.match(result.stdout, /✅ a Messages request to claude-x went through/);
    assert.doesNotMatch(result.stdout, /sk-file|sk-ant-file/);
  } finally {
    await upstream.close();
    await anthropic.close();
    await Deno.remove(dir, { recursive: true });
  }
});
