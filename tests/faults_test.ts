/**
 * Faults injected by a misbehaving upstream on 127.0.0.1 — a raw TCP server that writes exactly
 * the bytes (or silences, or cuts) each test scripts — with the proxy served for real and driven
 * by fetch. Every fault must reach the client as a well-formed Anthropic error.
 */
import assert from "node:assert/strict";
import { createHandler } from "../lib/handler.ts";
import { tcpConnectProbe } from "../lib/runtime/connect_probe.ts";
import { basic, config } from "./_handler.ts";
import { sseText } from "./_helpers.ts";
import { textChunks } from "./_servers.ts";

const encoder = new TextEncoder();

/** What the raw upstream does with one connection after reading the request. */
type Script = (connection: Deno.Conn) => Promise<void>;

/** Reads one HTTP request (headers plus content-length body) from the connection. */
async function readRequest(connection: Deno.Conn): Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const end = text.indexOf("\r\n\r\n");
    if (end !== -1) {
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (encoder.encode(text.slice(end + 4)).length >= length) return;
    }
    const read = await connection.read(buffer);
    if (read === null) return;
    text += decoder.decode(buffer.subarray(0, read));
  }
}

/** Starts a raw upstream; every connection runs the script once. */
function rawUpstream(script: Script) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.Conn[] = [];
  const served = (async () => {
    for await (const connection of listener) {
      connections.push(connection);
      (async () => {
        try {
          await readRequest(connection);
          await script(connection);
        } catch {
          // The proxy hung up first: that is what several tests want.
        }
      })();
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/v1`,
    async close() {
      listener.close();
      for (const connection of connections) {
        try {
          connection.close();
        } catch {
          // Already closed.
        }
      }
      await served.catch(() => {});
    },
  };
}

const write = (connection: Deno.Conn, text: string) => connection.write(encoder.encode(text));
const sseHead = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Serves the proxy for real in front of `upstreamUrl`, runs `body`, shuts everything down. */
async function withProxy(
  upstreamUrl: string,
  args: string[],
  body: (url: string) => Promise<void>,
): Promise<void> {
  const handler = createHandler(config(["--base-url", upstreamUrl, ...args]), {
    logger: { enabled: () => false, log: () => {} },
    connectProbe: tcpConnectProbe,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  try {
    await body(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

async function call(url: string, stream: boolean) {
  const response = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "sk-test" },
    body: JSON.stringify({ ...basic, stream }),
  });
  return { status: response.status, text: await response.text() };
}

const eventNames = (text: string) => [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);

function errorEnvelope(text: string): { type: string; message: string } {
  const body = JSON.parse(text);
  assert.equal(body.type, "error");
  return body.error;
}

Deno.test("fault: connection refused → 502 naming the backend, fast", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await withProxy(`http://127.0.0.1:${port}/v1`, ["--retries", "1"], async (url) => {
    const started = performance.now();
    const { status, text } = await call(url, true);
    assert.ok(performance.now() - started < 5000);
    assert.equal(status, 502);
    assert.match(
      errorEnvelope(text).message,
      new RegExp(`Cannot reach upstream http://127\\.0\\.0\\.1:${port}/v1`),
    );
  });
});

Deno.test("fault: upstream accepts but never answers → 504 after --first-byte-timeout", async () => {
  const upstream = rawUpstream(async () => void (await wait(5000)));
  try {
    await withProxy(upstream.url, ["--first-byte-timeout", "0.5"], async (url) => {
      const { status, text } = await call(url, true);
      assert.equal(status, 504);
      assert.equal(errorEnvelope(text).type, "timeout_error");
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("fault: upstream goes silent mid-stream → error event after --idle-timeout", async () => {
  const upstream = rawUpstream(async (connection) => {
    await write(connection, sseHead + sseText(textChunks("hello ").slice(0, 2), { done: false }));
    await wait(5000);
  });
  try {
    await withProxy(upstream.url, ["--idle-timeout", "0.5"], async (url) => {
      const { status, text } = await call(url, true);
      assert.equal(status, 200);
      assert.deepEqual(eventNames(text), [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "error",
      ]);
      assert.match(text, /timeout_error/);
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("fault: upstream cuts the connection mid-stream → error event, no message_stop", async () => {
  const upstream = rawUpstream(async (connection) => {
    await write(
      connection,
      sseHead + sseText(textChunks("cut here ").slice(0, 3), { done: false }),
    );
    connection.close();
  });
  try {
    await withProxy(upstream.url, [], async (url) => {
      const { text } = await call(url, true);
      const names = eventNames(text);
      assert.equal(names.at(-1), "error");
      assert.ok(!names.includes("message_stop"));
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("fault: malformed chunk and in-stream error object → error events", async () => {
  for (
    const [bad, pattern] of [
      ["data: {not json\n\n", /malformed stream chunk/],
      [
        `data: ${
          JSON.stringify({ error: { message: "model crashed", type: "server_error" } })
        }\n\n`,
        /model crashed/,
      ],
    ] as const
  ) {
    const upstream = rawUpstream(async (connection) => {
      await write(
        connection,
        sseHead + sseText(textChunks("ok ").slice(0, 2), { done: false }) + bad,
      );
      connection.close();
    });
    try {
      await withProxy(upstream.url, [], async (url) => {
        const { status, text } = await call(url, true);
        assert.equal(status, 200);
        assert.equal(eventNames(text).at(-1), "error");
        assert.match(text, pattern);
      });
    } finally {
      await upstream.close();
    }
  }
});

Deno.test("fault: HTML page with status 200 and a truncated JSON body → 502", async () => {
  const html = rawUpstream(async (connection) => {
    const page = "<html><body>Welcome to nginx!</body></html>";
    await write(
      connection,
      `HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: ${page.length}\r\nconnection: close\r\n\r\n${page}`,
    );
    connection.close();
  });
  const truncated = rawUpstream(async (connection) => {
    await write(
      connection,
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{"id":"c","choices":[{"ind',
    );
    connection.close();
  });
  try {
    await withProxy(html.url, [], async (url) => {
      const { status, text } = await call(url, false);
      assert.equal(status, 502);
      assert.match(errorEnvelope(text).message, /HTML page/);
    });
    await withProxy(truncated.url, ["--retries", "0"], async (url) => {
      const { status, text } = await call(url, false);
      assert.equal(status, 502);
      assert.equal(errorEnvelope(text).type, "api_error");
    });
  } finally {
    await html.close();
    await truncated.close();
  }
});

Deno.test("fault: a 503 is retried and the retry's answer reaches the client", async () => {
  let count = 0;
  const upstream = rawUpstream(async (connection) => {
    count++;
    if (count === 1) {
      const body = '{"error":{"message":"overloaded"}}';
      await write(
        connection,
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 0\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else {
      await write(connection, sseHead + sseText(textChunks("recovered")));
    }
    connection.close();
  });
  try {
    await withProxy(upstream.url, ["--retries", "2"], async (url) => {
      const { status, text } = await call(url, true);
      assert.equal(status, 200);
      assert.equal(eventNames(text).at(-1), "message_stop");
      assert.match(text, /recovered/);
      assert.equal(count, 2);
    });
  } finally {
    await upstream.close();
  }
});
