// deno-lint-ignore-file no-console
/**
 * Start-up time (process spawn → first accepted TCP connection) and idle RSS of the proxy.
 *
 *   deno run --allow-run --allow-net=127.0.0.1 --allow-read --allow-env bench/startup.ts [BINARY]
 *
 * BINARY defaults to dist/claude-proxy; "deno" measures `deno run main.ts`. RSS from ps. 10 runs; prints the median and range.
 * @module
 */
const target = Deno.args[0] ?? "dist/claude-proxy";
const RUNS = 10;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function once(): Promise<{ startMs: number; rssKiB: number }> {
  const port = freePort();
  const [command, args] = target === "deno"
    ? [Deno.execPath(), ["run", "--allow-net", "--allow-env", "--allow-read", "main.ts"]]
    : [target, []];
  const started = performance.now();
  const child = new Deno.Command(command, {
    args: [...args, "--port", String(port), "--base-url", "http://127.0.0.1:1/v1"],
    stdout: "null",
    stderr: "null",
    stdin: "null",
    env: { LOG_LEVEL: "error" },
  }).spawn();
  let startMs = NaN;
  for (let i = 0; i < 20_000; i++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      startMs = performance.now() - started;
      conn.close();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const ps = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(child.pid)] })
    .output();
  const rssKiB = Number(new TextDecoder().decode(ps.stdout).trim());
  child.kill("SIGTERM");
  await child.status;
  return { startMs, rssKiB };
}

const results = [];
for (let i = 0; i < RUNS; i++) results.push(await once());
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const starts = results.map((r) => r.startMs);
const rss = results.map((r) => r.rssKiB / 1024);
console.log(
  `${target}: start-up to first accepted connection median ${median(starts).toFixed(0)} ms ` +
    `(${Math.min(...starts).toFixed(0)}–${Math.max(...starts).toFixed(0)}), idle RSS median ` +
    `${median(rss).toFixed(1)} MiB (${Math.min(...rss).toFixed(1)}–${Math.max(...rss).toFixed(1)})`,
);
