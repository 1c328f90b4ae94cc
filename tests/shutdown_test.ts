/**
 * Graceful shutdown as a process contract: SIGTERM during a stream lets it complete, refuses new
 * connections, and exits 0; --shutdown-timeout bounds the wait. Runs against `deno run main.ts`
 * or the binary in CLAUDE_PROXY_BIN (Bun.serve's stop() or Deno.serve's shutdown()).
 */
import assert from "node:assert/strict";
import { startMockUpstream, startProxy, textChunks } from "./_servers.ts";

const sse = (chunks: unknown[], delayMs: number) =>
  new Response(
    new ReadableStream({
      async start(controller) {
        const encoder = new TextEncoder();
        for (const chunk of chunks) {
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  );

function streamRequest(url: string) {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "test" },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "count" }],
    }),
  });
}

Deno.test("shutdown: SIGTERM during a stream lets it finish, refuses new connections, exits 0", async () => {
  // 8 chunks 250 ms apart: about 2 s of streaming.
  const upstream = startMockUpstream(() => sse(textChunks("one two three four five "), 250));
  const proxy = await startProxy(["--base-url", upstream.url, "--model", "gpt-test"]);
  try {
    const response = await streamRequest(proxy.url);
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    const signalledAt = Date.now();
    proxy.child.kill("SIGTERM");
    // The listener closes: a new connection fails (bounded wait for the signal to land).
    let refused = false;
    for (let i = 0; i < 20 && !refused; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        const extra = await fetch(`${proxy.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await extra.body?.cancel();
      } catch {
        refused = true;
      }
    }
    assert.ok(refused, "new connections are still accepted after SIGTERM");
    for (let i = 0; i < 1000; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.match(text, /five/);
    assert.match(text, /event: message_stop/);
    const status = await proxy.child.status;
    assert.equal(status.code, 0, proxy.stderr());
    assert.ok(Date.now() - signalledAt > 800, "the stream was still open at SIGTERM");
  } finally {
    try {
      proxy.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await proxy.child.status;
    await proxy.drained;
    await upstream.close();
  }
});

Deno.test("shutdown: --shutdown-timeout bounds the wait, then exits 0", async () => {
  // 30 chunks 500 ms apart: 15 s, far longer than the 1 s timeout.
  const words = Array.from({ length: 28 }, (_, i) => `w${i} `).join("");
  const upstream = startMockUpstream(() => sse(textChunks(words), 500));
  const proxy = await startProxy([
    "--base-url",
    upstream.url,
    "--model",
    "gpt-test",
    "--shutdown-timeout",
    "1",
  ]);
  try {
    const response = await streamRequest(proxy.url);
    const reader = response.body!.getReader();
    await reader.read();
    const signalledAt = Date.now();
    proxy.child.kill("SIGTERM");
    const status = await proxy.child.status;
    const waited = Date.now() - signalledAt;
    assert.equal(status.code, 0, proxy.stderr());
    assert.ok(waited >= 900 && waited < 8000, `exited after ${waited} ms`);
    assert.match(proxy.stderr(), /shutdown timeout/);
    await reader.cancel().catch(() => {});
  } finally {
    try {
      proxy.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await proxy.child.status;
    await proxy.drained;
    await upstream.close();
  }
});

Deno.test("shutdown: SIGTERM while idle exits 0 at once", async () => {
  const upstream = startMockUpstream(() => new Response("{}"));
  const proxy = await startProxy(["--base-url", upstream.url]);
  try {
    const started = Date.now();
    proxy.child.kill("SIGTERM");
    const status = await proxy.child.status;
    assert.equal(status.code, 0, proxy.stderr());
    assert.ok(Date.now() - started < 5000);
  } finally {
    await proxy.drained;
    await upstream.close();
  }
});
