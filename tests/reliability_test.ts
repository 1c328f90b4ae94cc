/**
 * Faults, limits and security: retries, deadlines, broken upstream answers, body limits, the
 * auth token, backpressure, and keys kept out of logs and error messages.
 */
import assert from "node:assert/strict";
import { createHandler } from "../lib/handler.ts";
import { createLogger } from "../lib/log.ts";
import { sseText } from "./_helpers.ts";
import { basic, completion, config, errorOf, handlerWith, post } from "./_handler.ts";
import { textChunks } from "./_servers.ts";

const encoder = new TextEncoder();

/** Records the waits instead of sleeping. */
function instantSleep() {
  const waits: number[] = [];
  return { waits, sleep: (ms: number) => (waits.push(ms), Promise.resolve()) };
}

/** A fetch response that never arrives until the request is aborted. */
function hanging(request: Request): Promise<Response> {
  return new Promise((_, reject) => {
    request.signal.addEventListener("abort", () => reject(request.signal.reason));
  });
}

const events = (text: string) => [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);

Deno.test("retries 5xx and connection errors, then succeeds", async () => {
  const { waits, sleep } = instantSleep();
  let calls = 0;
  const { handler, logger } = handlerWith(
    () => {
      calls++;
      if (calls === 1) throw new TypeError("connection refused");
      if (calls === 2) return Response.json({ error: { message: "busy" } }, { status: 503 });
      return completion("third time lucky");
    },
    config(["--retries", "2"]),
    { sleep },
  );
  const response = await handler(post("/v1/messages", basic));
  assert.equal(response.status, 200);
  assert.equal((await response.json()).content[0].text, "third time lucky");
  assert.equal(calls, 3);
  assert.equal(waits.length, 2);
  // Jittered exponential backoff: 500 ms × 2^attempt × [0.5, 1.5).
  assert.ok(waits[0] >= 250 && waits[0] < 750, String(waits[0]));
  assert.ok(waits[1] >= 500 && waits[1] < 1500, String(waits[1]));
  assert.equal(logger.lines.filter((line) => /^warn retry/.test(line)).length, 2);
});

Deno.test("retries honour retry-after and give up after the retry count", async () => {
  const { waits, sleep } = instantSleep();
  let calls = 0;
  const { handler } = handlerWith(
    () => {
      calls++;
      return Response.json({ error: { message: "slow down" } }, {
        status: 429,
        headers: { "retry-after": "2" },
      });
    },
    config(["--retries", "2"]),
    { sleep },
  );
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  assert.equal(calls, 3);
  assert.deepEqual(waits, [2000, 2000]);
  assert.equal(response.status, 429);
  assert.equal(response.headers.get("retry-after"), "2");
  assert.equal((await errorOf(response)).type, "rate_limit_error");
});

Deno.test("does not retry 4xx, unpaid quota, or a retry-after beyond 30 s", async () => {
  const cases: Array<[Response, number]> = [
    [Response.json({ error: { message: "bad" } }, { status: 400 }), 400],
    [
      Response.json({ error: { message: "quota", type: "insufficient_quota" } }, { status: 429 }),
      402,
    ],
    [
      Response.json({ error: { message: "later" } }, {
        status: 429,
        headers: { "retry-after": "120" },
      }),
      429,
    ],
  ];
  for (const [answer, status] of cases) {
    const { waits, sleep } = instantSleep();
    let calls = 0;
    const { handler } = handlerWith(() => (calls++, answer.clone()), config(["--retries", "3"]), {
      sleep,
    });
    const response = await handler(post("/v1/messages", basic));
    assert.equal(response.status, status);
    assert.equal(calls, 1);
    assert.deepEqual(waits, []);
    if (status === 429) assert.equal(response.headers.get("retry-after"), "120");
  }
});

Deno.test("never retries once streaming to the client has begun", async () => {
  let calls = 0;
  const { handler } = handlerWith(
    () => {
      calls++;
      const body = sseText(textChunks("half ").slice(0, 2), { done: false }) +
        `data: ${JSON.stringify({ error: { message: "backend crashed", code: 500 } })}\n\n`;
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
    config(["--retries", "3"]),
    { sleep: () => Promise.resolve() },
  );
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.equal(events(text).at(-1), "error");
  assert.equal(calls, 1);
});

Deno.test("first-byte timeout answers 504 timeout_error before streaming", async () => {
  const { handler } = handlerWith(hanging, config(["--first-byte-timeout", "0.2"]));
  const started = performance.now();
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  assert.ok(performance.now() - started < 2000);
  assert.equal(response.status, 504);
  const error = await errorOf(response);
  assert.equal(error.type, "timeout_error");
  assert.match(error.message, /did not start answering within 0\.2 s \(--first-byte-timeout\)/);
});

Deno.test("connect timeout: a failed TCP probe ends the wait with 502 naming the backend", async () => {
  const probes: string[] = [];
  const handler = createHandler(config(["--connect-timeout", "0.2", "--retries", "0"]), {
    fetch: (input, init) => hanging(new Request(input, init)),
    logger: { enabled: () => false, log: () => {} },
    connectProbe: (host, port) => {
      probes.push(`${host}:${port}`);
      return Promise.reject(new Error("connect ETIMEDOUT"));
    },
  });
  const started = performance.now();
  const response = await handler(post("/v1/messages", basic));
  assert.ok(performance.now() - started < 1000);
  assert.equal(response.status, 502);
  const error = await errorOf(response);
  assert.match(
    error.message,
    /Cannot connect to upstream http:\/\/upstream\.test\/v1 within 0\.2 s \(--connect-timeout\): connect ETIMEDOUT/,
  );
  assert.deepEqual(probes, ["upstream.test:80"]);
});

Deno.test("connect timeout: a live backend that is merely slow is not cut off", async () => {
  const handler = createHandler(config(["--connect-timeout", "0.1"]), {
    fetch: async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return completion("slow but fine");
    },
    logger: { enabled: () => false, log: () => {} },
    connectProbe: () => Promise.resolve(),
  });
  const response = await handler(post("/v1/messages", basic));
  assert.equal(response.status, 200);
});

Deno.test("idle timeout mid-stream ends with an error event and aborts upstream", async () => {
  let aborted = false;
  const { handler } = handlerWith((request) => {
    request.signal.addEventListener("abort", () => (aborted = true));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(
          encoder.encode(sseText(textChunks("first ").slice(0, 2), { done: false })),
        );
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }, config(["--idle-timeout", "0.2"]));
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  const text = await response.text();
  assert.deepEqual(events(text), [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "error",
  ]);
  assert.match(text, /"type":"timeout_error".*sent nothing for 0\.2 s \(--idle-timeout\)/);
  assert.equal(aborted, true);
});

Deno.test("a client that goes away mid-stream is logged as such, not as an upstream failure", async () => {
  // Bun aborts request.signal before it cancels the body: the pending upstream read then fails
  // with the client's reason, which must not read as a broken backend (502) in the log.
  let upstreamAborted = false;
  const { handler, logger } = handlerWith((request) => {
    request.signal.addEventListener("abort", () => (upstreamAborted = true));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(
          encoder.encode(sseText(textChunks("first ").slice(0, 2), { done: false })),
        );
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const client = new AbortController();
  const request = new Request(post("/v1/messages", { ...basic, stream: true }), {
    signal: client.signal,
  });
  const response = await handler(request);
  const reader = response.body!.getReader();
  await reader.read(); // message_start and the first delta
  const pending = reader.read(); // waits on the silent upstream
  client.abort();
  await pending.catch(() => {});
  await reader.cancel().catch(() => {});
  const line = logger.lines.find((text) => text.includes("POST /v1/messages"));
  assert.ok(line, logger.lines.join("\n"));
  assert.match(line, /^info .* 200 .*error: client disconnected$/);
  assert.equal(upstreamAborted, true);
});

/**
 * The client aborts while the upstream answer (headers sent, `head` of the body so far) is being
 * read; the abort fails that read, as fetch's body does. The answer must be a 499 in the log.
 */
async function clientLeavesDuring(contentType: string, head: string, stream: boolean) {
  const { handler, logger } = handlerWith((request) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          if (head) controller.enqueue(encoder.encode(head));
          request.signal.addEventListener("abort", () => controller.error(request.signal.reason));
        },
      }),
      { headers: { "content-type": contentType } },
    )
  );
  const client = new AbortController();
  const answer = handler(
    new Request(post("/v1/messages", { ...basic, stream }), { signal: client.signal }),
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  client.abort();
  const response = await answer;
  assert.equal(response.status, 499);
  await response.body?.cancel();
  const line = logger.lines.find((text) => text.includes("POST /v1/messages"));
  assert.match(line ?? "", /^info .* 499 .*error: The client closed the request$/);
}

Deno.test("a client that goes away before the first upstream event is a 499, not a 502", async () => {
  await clientLeavesDuring("text/event-stream", "", true);
});

Deno.test("a client that goes away while a whole JSON answer is read is a 499, not a 502", async () => {
  await clientLeavesDuring("application/json", '{"id":"c","choices":[', false);
});

Deno.test("total timeout mid-stream ends with an error event", async () => {
  const { handler } = handlerWith(() => {
    let count = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const chunk = textChunks(`word${count++} `)[count === 1 ? 0 : 1];
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }, config(["--total-timeout", "0.4"]));
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  const text = await response.text();
  assert.equal(events(text).at(-1), "error");
  assert.match(text, /did not finish within 0\.4 s \(--total-timeout\)/);
});

Deno.test("an HTML page with status 200 becomes a 502 that points at --base-url", async () => {
  const { handler } = handlerWith(() =>
    new Response("<html><body>Welcome to nginx!</body></html>", {
      headers: { "content-type": "text/html" },
    })
  );
  for (const stream of [false, true]) {
    const response = await handler(post("/v1/messages", { ...basic, stream }));
    assert.equal(response.status, 502);
    assert.match((await errorOf(response)).message, /HTML page instead of JSON; check --base-url/);
  }
});

Deno.test("a truncated JSON body becomes a 502, never a broken success", async () => {
  const { handler } = handlerWith(() =>
    new Response('{"id":"c","choices":[{"index":0,"message":{"role":"assis', {
      headers: { "content-type": "application/json" },
    })
  );
  const response = await handler(post("/v1/messages", basic));
  assert.equal(response.status, 502);
  assert.match((await errorOf(response)).message, /not a chat completion/);
});

Deno.test("request bodies over --max-body-size get 413 without being read", async () => {
  const { handler, requests } = handlerWith(
    () => completion("x"),
    config(["--max-body-size", "1"]),
  );
  let pulled = 0;
  const endless = () =>
    new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
  // Declared too large: refused before reading anything.
  const declared = await handler(
    new Request("http://proxy.test/v1/messages", {
      method: "POST",
      headers: { "content-length": String(2 * 1024 * 1024) },
      body: endless(),
    }),
  );
  assert.equal(declared.status, 413);
  assert.equal((await errorOf(declared)).type, "request_too_large");
  assert.ok(pulled <= 1, `pulled ${pulled} chunks`);
  // No length: read until the limit, then refused.
  pulled = 0;
  const chunked = await handler(
    new Request("http://proxy.test/v1/messages", { method: "POST", body: endless() }),
  );
  assert.equal(chunked.status, 413);
  assert.ok(pulled <= 18, `pulled ${pulled} chunks`);
  assert.equal(requests.length, 0);
});

Deno.test("slow client: the proxy does not read ahead of the client", async () => {
  let produced = 0;
  const { handler } = handlerWith(() => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        produced++;
        const chunk = produced === 1 ? textChunks("x")[0] : textChunks(`${produced} `)[1];
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
      },
    }, { highWaterMark: 0 });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  const reader = response.body!.getReader();
  for (let i = 0; i < 5; i++) await reader.read();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const afterFive = produced;
  await new Promise((resolve) => setTimeout(resolve, 200));
  // Nothing more is pulled from upstream while the client is not reading.
  assert.equal(produced, afterFive);
  assert.ok(produced <= 8, `produced ${produced}`);
  await reader.cancel();
});

Deno.test("auth token: required, constant-time compared, and never forwarded upstream", async () => {
  const cfg = config(["--auth-token", "proxy-secret-token", "--api-key", "sk-backend-key-123"]);
  const { handler, requests } = handlerWith(() => completion("x"), cfg);
  const missing = await handler(post("/v1/messages", basic));
  assert.equal(missing.status, 401);
  assert.equal((await errorOf(missing)).type, "authentication_error");
  const wrong = await handler(post("/v1/messages", basic, { "x-api-key": "proxy-secret-tokeX" }));
  assert.equal(wrong.status, 401);
  assert.equal(requests.length, 0);
  const health = await handler(new Request("http://proxy.test/healthz"));
  assert.equal(health.status, 200);
  for (
    const headers of [
      { "x-api-key": "proxy-secret-token" },
      { authorization: "Bearer proxy-secret-token" },
    ] as Record<string, string>[]
  ) {
    const response = await handler(post("/v1/messages", basic, headers));
    assert.equal(response.status, 200);
  }
  assert.equal(requests.length, 2);
  for (const request of requests) {
    assert.equal(request.headers.get("authorization"), "Bearer sk-backend-key-123");
  }
  // Without a backend key, the proxy token is not passed on as one.
  const bare = handlerWith(() => completion("x"), config(["--auth-token", "proxy-secret-token"]));
  await bare.handler(post("/v1/messages", basic, { "x-api-key": "proxy-secret-token" }));
  assert.equal(bare.requests[0].headers.get("authorization"), null);
});

Deno.test("keys never appear in logs or error messages, even when a backend echoes them", async () => {
  const lines: string[] = [];
  // deno-lint-ignore no-console
  const original = console.error;
  // deno-lint-ignore no-console
  console.error = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    const cfg = config(["--api-key", "sk-configured-1234567890", "--log-level", "debug"]);
    const handler = createHandler(cfg, {
      logger: createLogger("debug", [cfg.backend.apiKey]),
      fetch: (_input, init) => {
        const auth = new Headers(init?.headers).get("authorization");
        return Promise.resolve(
          Response.json({ error: { message: `Invalid key: ${auth}` } }, { status: 401 }),
        );
      },
    });
    const response = await handler(
      post("/v1/messages", basic, { "x-api-key": "sk-client-abcdefghijkl" }),
    );
    const body = await response.text();
    assert.equal(response.status, 401);
    const everything = `${lines.join("\n")}\n${body}`;
    assert.ok(lines.length >= 2, lines.join("\n"));
    assert.doesNotMatch(everything, /sk-configured-1234567890|sk-client-abcdefghijkl/);
  } finally {
    // deno-lint-ignore no-console
    console.error = original;
  }
});

Deno.test("dynamic routing is off by default and limited to the allowlist", async () => {
  const path = "/https/api.groq.com/openai/v1/llama-3.3-70b/v1/messages";
  const off = handlerWith(() => completion("x"));
  assert.equal((await off.handler(post(path, basic))).status, 404);

  const cfg = config(["--allow-dynamic-routing", "api.groq.com", "--api-key", "sk-configured"]);
  const { handler, requests } = handlerWith(() => completion("routed"), cfg);
  const response = await handler(post(path, basic, { "x-api-key": "gsk-client" }));
  assert.equal(response.status, 200);
  assert.equal((await response.json()).model, "claude-sonnet-4-5");
  assert.equal(requests[0].url, "https://api.groq.com/openai/v1/chat/completions");
  // The configured key belongs to the configured backend; the client's key goes to its own.
  assert.equal(requests[0].headers.get("authorization"), "Bearer gsk-client");
  assert.equal((await requests[0].json()).model, "llama-3.3-70b");

  for (
    const denied of [
      "/http/127.0.0.1:8080/v1/m/v1/messages",
      "/http/169.254.169.254/latest/m/v1/messages",
      "/https/evil.example/v1/m/v1/messages",
    ]
  ) {
    const refused = await handler(post(denied, basic));
    assert.equal(refused.status, 403, denied);
    assert.equal((await errorOf(refused)).type, "permission_error");
  }
  assert.equal(requests.length, 1);
  const count = await handler(post(path.replace(/messages$/, "messages/count_tokens"), basic));
  assert.equal(count.status, 200);
});

Deno.test("empty messages and non-object tools are 400s naming the field", async () => {
  const { handler, requests } = handlerWith(() => completion("x"));
  const empty = await handler(post("/v1/messages", { ...basic, messages: [] }));
  assert.equal(empty.status, 400);
  assert.match((await errorOf(empty)).message, /^messages: /);
  const tools = await handler(post("/v1/messages", { ...basic, tools: ["Bash"] }));
  assert.equal(tools.status, 400);
  assert.match((await errorOf(tools)).message, /^tools\.0: /);
  assert.equal(requests.length, 0);
});

Deno.test("upstream response headers are not relayed (no set-cookie, no hop-by-hop)", async () => {
  const { handler } = handlerWith(() =>
    new Response(sseText(textChunks("hi")), {
      headers: {
        "content-type": "text/event-stream",
        "set-cookie": "session=upstream-secret",
        "x-upstream-internal": "1",
        "keep-alive": "timeout=5",
      },
    })
  );
  const response = await handler(post("/v1/messages", { ...basic, stream: true }));
  await response.text();
  for (const name of ["set-cookie", "x-upstream-internal", "keep-alive"]) {
    assert.equal(response.headers.get(name), null, name);
  }
});
