/**
 * The hosted entries served by their real runtimes on 127.0.0.1, for end-to-end tests:
 * lib/worker.ts bundled with Bun and run by Cloudflare's `workerd` (from npm, installed by
 * `deno task test:workerd:deps` into .cache/workerd), and deploy.ts run by `deno serve`.
 * Configuration arrives as bindings (workerd text bindings; environment variables for Deno).
 * @module
 */

const ROOT = new URL("../", import.meta.url);
export const WORKERD = new URL("../.cache/workerd/node_modules/.bin/workerd", import.meta.url)
  .pathname;
/** The compatibility date wrangler.toml uses too. */
export const COMPATIBILITY_DATE = "2025-09-01";
/**
 * The flags wrangler.toml sets too. enable_request_signal: `request.signal` aborts when the client
 * disconnects, which the handler passes to the upstream fetch (cancellation as on Deno).
 */
export const COMPATIBILITY_FLAGS = ["enable_request_signal"];

/** A running hosted proxy. */
export interface Hosted {
  url: string;
  /** Everything the runtime printed so far (stdout and stderr). */
  output(): string;
  /** Milliseconds from spawning the runtime to its first answered request. */
  startupMs: number;
  close(): Promise<void>;
}

/** Starts one hosted proxy with these bindings. */
export type Starter = (bindings: Record<string, string>) => Promise<Hosted>;

export function installed(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `bun` runs (it bundles the Worker). */
export function bunAvailable(): boolean {
  try {
    return new Deno.Command("bun", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Bundles lib/worker.ts into one ES module (gpt-tokenizer's dynamic import inlined). */
export async function bundleWorker(outfile: string): Promise<void> {
  const result = await new Deno.Command("bun", {
    args: ["build", "lib/worker.ts", "--target=browser", "--format=esm", "--outfile", outfile],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(`bun build failed:\n${new TextDecoder().decode(result.stderr)}`);
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The config.capnp serving `worker.js` (next to it) on 127.0.0.1:port with text bindings. */
export function workerdConfig(port: number, bindings: Record<string, string>): string {
  const text = Object.entries(bindings)
    .map(([name, value]) =>
      `    (name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)}),`
    )
    .join("\n");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .proxyWorker),
    # The default outbound network only reaches public addresses; the mock upstream is on loopback.
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const proxyWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  compatibilityFlags = ${JSON.stringify(COMPATIBILITY_FLAGS)},
  globalOutbound = "internet",
  bindings = [
${text}
  ],
);
`;
}

interface Spawned {
  child: Deno.ChildProcess;
  output(): string;
  drained: Promise<void>;
}

function spawn(command: string, args: string[], options: Deno.CommandOptions): Spawned {
  const child = new Deno.Command(command, {
    ...options,
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
    } catch {
      // The process ended.
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]).then(() => {});
  return { child, output: () => text, drained };
}

async function stop(spawned: Spawned): Promise<void> {
  try {
    spawned.child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await spawned.child.status;
  await spawned.drained;
}

/** Polls until `url` answers (any status) or the process exits; false on exit or timeout. */
async function answers(url: string, spawned: Spawned, timeoutMs: number): Promise<boolean> {
  let exited = false;
  spawned.child.status.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (!exited && Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return false;
}

/** A starter for workerd serving `bundle` (a file made by bundleWorker). */
export function workerdStarter(bundle: string): Starter {
  return async (bindings) => {
    const dir = await Deno.makeTempDir({ prefix: "claude-proxy-workerd-" });
    await Deno.copyFile(bundle, `${dir}/worker.js`);
    let lastOutput = "";
    // A free port can be taken between probing and binding: try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = freePort();
      await Deno.writeTextFile(`${dir}/config.capnp`, workerdConfig(port, bindings));
      const started = performance.now();
      const spawned = spawn(WORKERD, ["serve", "config.capnp", "--verbose"], { cwd: dir });
      const url = `http://127.0.0.1:${port}`;
      if (await answers(`${url}/healthz`, spawned, 20_000)) {
        return {
          url,
          output: spawned.output,
          startupMs: performance.now() - started,
          async close() {
            await stop(spawned);
            await Deno.remove(dir, { recursive: true });
          },
        };
      }
      await stop(spawned);
      lastOutput = spawned.output();
    }
    await Deno.remove(dir, { recursive: true });
    throw new Error(`workerd did not start:\n${lastOutput}`);
  };
}

/** A starter for `deno serve deploy.ts` (the Deno Deploy entry), configured by environment. */
export const denoServeStarter: Starter = async (bindings) => {
  const env: Record<string, string> = { ...bindings, NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const started = performance.now();
  const spawned = spawn(
    Deno.execPath(),
    ["serve", "--allow-net", "--allow-env", "--host", "127.0.0.1", "--port", "0", "deploy.ts"],
    { cwd: ROOT, env, clearEnv: true },
  );
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    url = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(spawned.output())?.[1];
    if (!url) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (!url || !(await answers(`${url}/healthz`, spawned, 10_000))) {
    await stop(spawned);
    throw new Error(`deno serve deploy.ts did not start:\n${spawned.output()}`);
  }
  return {
    url,
    output: spawned.output,
    startupMs: performance.now() - started,
    close: () => stop(spawned),
  };
};
