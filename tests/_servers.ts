/**
 * Real servers for end-to-end tests: a scripted mock OpenAI upstream on 127.0.0.1, and the proxy
 * itself started as a subprocess (`deno run main.ts`, or the compiled binary named by
 * CLAUDE_PROXY_BIN, so CI tests the artifact users run).
 * @module
 */

/** One request the mock upstream received. */
export interface SeenRequest {
  path: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A mock upstream: `respond` scripts the answer to each request. */
export interface MockUpstream {
  url: string;
  seen: SeenRequest[];
  /** Resolves when a request's connection was closed by the proxy (client abort tests). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** Starts the mock upstream on a free loopback port. */
export function startMockUpstream(
  respond: (request: SeenRequest, count: number) => Response | Promise<Response>,
): MockUpstream {
  const seen: SeenRequest[] = [];
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      request.signal.addEventListener("abort", () => markClosed());
      const text = await request.text();
      const entry: SeenRequest = {
        path: new URL(request.url).pathname,
        headers: request.headers,
        body: text ? JSON.parse(text) : {},
      };
      seen.push(entry);
      return await respond(entry, seen.length);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    seen,
    closed,
    close: () => server.shutdown(),
  };
}

const ROOT = new URL("../", import.meta.url);

/** A running proxy process. */
export interface ProxyProcess {
  url: string;
  child: Deno.ChildProcess;
  /** Resolves once stderr has been read to its end. */
  drained: Promise<void>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/** An XDG_CONFIG_HOME that does not exist, so no user settings are read by default. */
export const NO_CONFIG_DIR = "/nonexistent/claude-proxy-tests";

/** The command that runs the proxy: the binary from CLAUDE_PROXY_BIN, else deno run main.ts. */
export function proxyCommand(args: string[]): { command: string; args: string[] } {
  const binary = Deno.env.get("CLAUDE_PROXY_BIN");
  if (binary) {
    return { command: binary.startsWith("/") ? binary : new URL(binary, ROOT).pathname, args };
  }
  return {
    command: Deno.execPath(),
    args: ["run", "--allow-net", "--allow-env", "--allow-read", "main.ts", ...args],
  };
}

/** Starts the proxy on a free port and waits for its "listening on" line. */
export async function startProxy(
  args: string[],
  env: Record<string, string> = {},
): Promise<ProxyProcess> {
  const { command, args: fullArgs } = proxyCommand(["--port", "0", ...args]);
  const child = new Deno.Command(command, {
    args: fullArgs,
    cwd: ROOT,
    // The developer's own settings (setup's env file, config.json) stay out of the tests.
    env: { XDG_CONFIG_HOME: NO_CONFIG_DIR, ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const reader = child.stderr.getReader();
  let url: string | undefined;
  const deadline = Date.now() + 30_000;
  while (!url && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    url = /listening on (http:\/\/[^\s]+)/.exec(text)?.[1];
  }
  // Keep draining stderr so the child never blocks on a full pipe.
  const drained = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // The process ended.
    }
  })();
  if (!url) {
    child.kill();
    await child.status;
    throw new Error(`proxy did not start:\n${text}`);
  }
  return {
    url,
    child,
    drained,
    stderr: () => text,
    async close() {
      child.kill("SIGTERM");
      await child.status;
      await drained;
    },
  };
}

/** OpenAI chat.completion.chunk objects for a plain text answer. */
export function textChunks(text: string, usage = { prompt_tokens: 12, completion_tokens: 5 }) {
  const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-test" };
  return [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
    ...text.split(/(?<= )/).map((piece) => ({
      ...base,
      choices: [{ index: 0, delta: { content: piece }, finish_reason: null }],
    })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    {
      ...base,
      choices: [],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  ];
}

/** Chunks for one tool call, name and arguments split across chunks. */
export function toolCallChunks(id: string, name: string, args: Record<string, unknown>) {
  const base = { id: "chatcmpl-2", object: "chat.completion.chunk", created: 1, model: "gpt-test" };
  const json = JSON.stringify(args);
  const half = Math.floor(json.length / 2);
  return [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: null } }] },
    {
      ...base,
      choices: [{
        index: 0,
        delta: {
          tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: "" } }],
        },
      }],
    },
    ...[json.slice(0, half), json.slice(half)].map((piece) => ({
      ...base,
      choices: [{
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] },
      }],
    })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    {
      ...base,
      choices: [],
      usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 },
    },
  ];
}
