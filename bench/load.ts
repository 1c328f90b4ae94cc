/**
 * End-to-end load comparison. The same traffic goes three ways: straight to a mock OpenAI
 * upstream ("direct"), through a minimal Deno forwarder with no translation ("passthrough", the
 * HTTP floor), and through the proxy ("proxy", `deno run … main.ts --log-level warn`). All of
 * them run as subprocesses so each one's CPU time and memory can be read from /proc. Everything
 * stays on 127.0.0.1; every loop is bounded; the subprocesses are stopped even on failure.
 *
 *   deno run --allow-run --allow-net=127.0.0.1 --allow-read --allow-env bench/load.ts
 * @module
 */
import { MessagesRequest } from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import { loadConfig } from "../lib/config.ts";
import { resolveRoute } from "../lib/model_map.ts";
import { anthropicRequestToOpenAI } from "../lib/translate/anthropic_request_to_openai.ts";
import { claudeCodeRequest, smallRequest } from "./fixtures.ts";

// deno-lint-ignore no-console
const print = console.log;
const ROOT = new URL("../", import.meta.url);
const MODEL = "gpt-test";
/** Safety net: a measured run stops after this long even if its requests are not all done. */
const RUN_DEADLINE_MS = 40_000;

// ---- Subprocesses ------------------------------------------------------------------------------

interface Child {
  name: string;
  process: Deno.ChildProcess;
  pid: number;
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Spawns a process and waits (bounded) until `ready` matches its stdout or stderr. */
async function spawn(name: string, args: string[], ready: RegExp): Promise<Child> {
  const process = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let resolveUrl: (url: string) => void = () => {};
  const found = new Promise<string>((resolve) => (resolveUrl = resolve));
  // Keep draining both pipes so the child never blocks on a full pipe.
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    try {
      for await (const bytes of stream) {
        text += decoder.decode(bytes, { stream: true });
        const match = ready.exec(text);
        if (match) resolveUrl(match[1]);
      }
    } catch {
      // The process ended.
    }
  };
  const drained = Promise.all([drain(process.stdout), drain(process.stderr)]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const url = await Promise.race([
    found,
    process.status.then(() => undefined),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 30_000))),
  ]).finally(() => clearTimeout(timer));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      process.status.then(() => true),
      new Promise<false>((resolve) => (killTimer = setTimeout(() => resolve(false), 3_000))),
    ]).finally(() => clearTimeout(killTimer));
    if (!exited) {
      try {
        process.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await process.status;
    }
    await drained;
  };
  const child = { name, process, pid: process.pid, url: url ?? "", output: () => text, stop };
  if (!url) {
    await stop();
    throw new Error(`${name} did not start:\n${text}`);
  }
  return child;
}

// ---- /proc -------------------------------------------------------------------------------------

let clockTicks = 100;

async function readClockTicks(): Promise<number> {
  try {
    const { stdout, success } = await new Deno.Command("getconf", { args: ["CLK_TCK"] }).output();
    const ticks = Number(new TextDecoder().decode(stdout).trim());
    if (success && ticks > 0) return ticks;
  } catch {
    // Fall back to the usual value.
  }
  return 100;
}

interface Snapshot {
  /** utime + stime in ms, per pid. */
  cpu: Map<number, number>;
  /** VmRSS in MB of rssPid. */
  rssMb: number;
}

/**
 * Reads /proc/<pid>/stat of every pid and /proc/<rssPid>/status through `cat`: Deno's own file
 * API refuses /proc/<pid> paths without --allow-all.
 */
async function snapshot(pids: number[], rssPid: number): Promise<Snapshot> {
  const { stdout, success, stderr } = await new Deno.Command("cat", {
    args: [...pids.map((pid) => `/proc/${pid}/stat`), `/proc/${rssPid}/status`],
  }).output();
  const decoder = new TextDecoder();
  if (!success) throw new Error(`cannot read /proc: ${decoder.decode(stderr)}`);
  const lines = decoder.decode(stdout).split("\n");
  const cpu = new Map<number, number>();
  pids.forEach((pid, i) => {
    const stat = lines[i];
    // Fields after the command name (which may contain spaces) start with the state, field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
    cpu.set(pid, (ticks * 1000) / clockTicks);
  });
  const status = lines.slice(pids.length).join("\n");
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return { cpu, rssMb: kb / 1024 };
}

// ---- Load generation ---------------------------------------------------------------------------

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface RunResult {
  requests: number;
  failures: number;
  firstFailure?: string;
  elapsedMs: number;
  latencies: Float64Array;
}

/** Sends `total` requests with `concurrency` workers; each latency includes reading the body. */
async function run(target: Target, total: number, concurrency: number): Promise<RunResult> {
  const latencies = new Float64Array(total);
  let next = 0;
  let done = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  const deadline = start + RUN_DEADLINE_MS;
  const worker = async () => {
    while (next < total && performance.now() < deadline) {
      next++;
      const t0 = performance.now();
      try {
        const response = await fetch(target.url, {
          method: "POST",
          headers: target.headers,
          body: target.body,
        });
        const bytes = await response.arrayBuffer();
        if (!response.ok) {
          failures++;
          firstFailure ??= `HTTP ${response.status}: ${
            new TextDecoder().decode(bytes).slice(0, 300)
          }`;
        }
      } catch (error) {
        failures++;
        firstFailure ??= String(error);
      }
      latencies[done++] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    requests: done,
    failures,
    firstFailure,
    elapsedMs: performance.now() - start,
    latencies: latencies.slice(0, done).sort(),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return values.length ? sum / values.length : NaN;
}

type Path = "direct" | "passthrough" | "proxy";
const PATHS: readonly Path[] = ["direct", "passthrough", "proxy"];

/** One sanity request: the answer must have the expected shape before anything is measured. */
async function check(target: Target, path: Path, chunks: number, stream: boolean) {
  const response = await fetch(target.url, {
    method: "POST",
    headers: target.headers,
    body: target.body,
  });
  const text = await response.text();
  const fail = (why: string) => {
    throw new Error(
      `${path} sanity check failed (${why}): HTTP ${response.status} ${text.slice(0, 500)}`,
    );
  };
  if (response.status !== 200) fail("status");
  if (!stream) {
    const body = JSON.parse(text);
    if (path === "proxy" ? body.type !== "message" : body.object !== "chat.completion") {
      fail("not a completion");
    }
    return;
  }
  if (path !== "proxy") {
    const events = text.match(/^data: /gm)?.length ?? 0;
    if (events !== chunks + 3) fail(`${events} SSE events, expected ${chunks + 3}`);
  } else {
    const deltas = text.match(/^event: content_block_delta$/gm)?.length ?? 0;
    if (deltas !== chunks) fail(`${deltas} text deltas, expected ${chunks}`);
    if (!text.trimEnd().endsWith('data: {"type":"message_stop"}')) fail("no message_stop");
  }
}

// ---- Scenarios ---------------------------------------------------------------------------------

interface Scenario {
  name: string;
  request: Record<string, unknown>;
  stream: boolean;
  /** Text chunks the upstream streams back (streaming scenarios). */
  chunks: number;
  concurrency: number;
  requests: number;
  warmup: number;
}

interface Row {
  scenario: Scenario;
  path: Path;
  result: RunResult;
  /** CPU ms per request of each process. */
  cpu: { client: number; upstream: number; passthrough: number; proxy: number };
  /** RSS (MB) of the hop (passthrough or proxy) around the run. */
  rss?: { before: number; after: number };
}

function directBody(request: Record<string, unknown>, upstreamUrl: string): string {
  // Exactly what the proxy sends upstream: the same config, route and translation.
  const config = loadConfig(["--base-url", upstreamUrl, "--model", MODEL], {});
  if (config.action !== "serve") throw new Error("unexpected config action");
  const body = validate(MessagesRequest, request);
  const route = resolveRoute(config.config, body.model);
  const translated = anthropicRequestToOpenAI(body, {
    model: route.model,
    maxTokensCap: config.config.maxTokensCap,
    ...route.options,
  });
  return JSON.stringify(translated.value);
}

const fmt = (value: number, digits = 2) => Number.isFinite(value) ? value.toFixed(digits) : "–";

function scenarios(): Scenario[] {
  const small = smallRequest(false);
  const smallStream = smallRequest(true);
  const large = claudeCodeRequest({ targetBytes: 45_000, stream: true });
  const list: Array<Omit<Scenario, "stream">> = [
    {
      name: "1 KB non-streaming",
      request: small,
      chunks: 0,
      concurrency: 1,
      requests: 2000,
      warmup: 300,
    },
    {
      name: "1 KB non-streaming",
      request: small,
      chunks: 0,
      concurrency: 32,
      requests: 4000,
      warmup: 500,
    },
    {
      name: "45 KB stream, 20 chunks",
      request: large,
      chunks: 20,
      concurrency: 1,
      requests: 1000,
      warmup: 200,
    },
    {
      name: "45 KB stream, 20 chunks",
      request: large,
      chunks: 20,
      concurrency: 8,
      requests: 2000,
      warmup: 300,
    },
    {
      name: "1 KB stream, 200 chunks",
      request: smallStream,
      chunks: 200,
      concurrency: 8,
      requests: 1000,
      warmup: 200,
    },
  ];
  return list.map((scenario) => ({ ...scenario, stream: scenario.request.stream === true }));
}

async function main(): Promise<void> {
  clockTicks = await readClockTicks();
  const children: Child[] = [];
  const cleanup = async () => {
    await Promise.allSettled(children.map((child) => child.stop()));
  };
  const onSignal = () => {
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const rows: Row[] = [];
  const began = performance.now();
  try {
    const upstream = await spawn(
      "upstream",
      ["run", "--allow-net=127.0.0.1", "bench/upstream.ts", "0", "20"],
      /upstream listening on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    children.push(upstream);
    const upstreamBase = `${upstream.url}/v1`;
    const passthrough = await spawn(
      "passthrough",
      ["run", "--allow-net=127.0.0.1", "bench/passthrough.ts", "0", upstreamBase],
      /passthrough listening on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    children.push(passthrough);
    const proxy = await spawn(
      "proxy",
      [
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "main.ts",
        "--port",
        "0",
        "--base-url",
        upstreamBase,
        "--model",
        MODEL,
        "--log-level",
        "warn",
      ],
      /listening on (http:\/\/[^\s]+)/,
    );
    children.push(proxy);

    const list = scenarios();
    print(
      `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, CLK_TCK ${clockTicks}; ` +
        `request bodies: ${
          [...new Set(list.map((s) => s.request))].map((request) =>
            `${JSON.stringify(request).length} B (OpenAI: ${
              directBody(request, upstreamBase).length
            } B)`
          ).join(", ")
        }\n`,
    );

    const pids = [Deno.pid, upstream.pid, passthrough.pid, proxy.pid];
    for (const scenario of list) {
      const control = await fetch(`${upstream.url}/bench/chunks/${Math.max(1, scenario.chunks)}`, {
        method: "POST",
      });
      await control.body?.cancel();
      const openAI = directBody(scenario.request, upstreamBase);
      const openAIHeaders = {
        "content-type": "application/json",
        authorization: "Bearer unused",
      };
      const targets: Record<Path, Target> = {
        direct: { url: `${upstreamBase}/chat/completions`, headers: openAIHeaders, body: openAI },
        passthrough: { url: `${passthrough.url}/`, headers: openAIHeaders, body: openAI },
        proxy: {
          url: `${proxy.url}/v1/messages`,
          headers: {
            "content-type": "application/json",
            "anthropic-version": "2023-06-01",
            "x-api-key": "unused",
          },
          body: JSON.stringify(scenario.request),
        },
      };
      for (const path of PATHS) {
        const label = `${scenario.name}, c=${scenario.concurrency}, ${path}`;
        // deno-lint-ignore no-console
        console.error(`running ${label}: ${scenario.requests} requests`);
        const target = targets[path];
        await check(target, path, scenario.chunks, scenario.stream);
        await run(target, scenario.warmup, scenario.concurrency);
        const hop = path === "proxy" ? proxy.pid : passthrough.pid;
        const before = await snapshot(pids, hop);
        const result = await run(target, scenario.requests, scenario.concurrency);
        const after = await snapshot(pids, hop);
        const perRequest = (pid: number) =>
          (after.cpu.get(pid)! - before.cpu.get(pid)!) / Math.max(1, result.requests);
        rows.push({
          scenario,
          path,
          result,
          cpu: {
            client: perRequest(Deno.pid),
            upstream: perRequest(upstream.pid),
            passthrough: perRequest(passthrough.pid),
            proxy: perRequest(proxy.pid),
          },
          rss: path === "direct" ? undefined : { before: before.rssMb, after: after.rssMb },
        });
        if (result.failures) {
          throw new Error(
            `${label}: ${result.failures} failed requests; first: ${result.firstFailure}`,
          );
        }
        if (result.requests < scenario.requests) {
          print(`note: ${label} stopped at the ${RUN_DEADLINE_MS} ms deadline`);
        }
      }
    }
    const extra = proxy.output().split("\n").filter((line) =>
      line && !/listening on|backend |upstream auth/.test(line)
    );
    if (extra.length) print(`proxy wrote ${extra.length} log line(s); first: ${extra[0]}\n`);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await cleanup();
  }
  report(rows, (performance.now() - began) / 1000);
}

function report(rows: Row[], seconds: number): void {
  const find = (scenario: Scenario, path: Path) =>
    rows.find((row) => row.scenario === scenario && row.path === path)!;
  print(
    "| scenario | conc | path | requests | req/s | mean ms | p50 ms | p99 ms | added vs direct ms (mean / p50) | hop CPU ms/req | hop RSS MB before → after |",
  );
  print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) {
    const { scenario, result } = row;
    let added = "";
    if (row.path !== "direct" && scenario.concurrency === 1) {
      const direct = find(scenario, "direct").result.latencies;
      added = `${fmt(mean(result.latencies) - mean(direct))} / ${
        fmt(percentile(result.latencies, 0.5) - percentile(direct, 0.5))
      }`;
    }
    const hopCpu = row.path === "direct" ? "" : fmt(row.cpu[row.path], 3);
    print(
      `| ${scenario.name} | ${scenario.concurrency} | ${row.path} | ${result.requests} | ${
        fmt((result.requests * 1000) / result.elapsedMs, 0)
      } | ${fmt(mean(result.latencies))} | ${fmt(percentile(result.latencies, 0.5))} | ${
        fmt(percentile(result.latencies, 0.99))
      } | ${added} | ${hopCpu} | ${
        row.rss ? `${fmt(row.rss.before, 1)} → ${fmt(row.rss.after, 1)}` : ""
      } |`,
    );
  }
  print(
    "\nhop = the process between client and upstream: the proxy, or `passthrough` (bench/" +
      "passthrough.ts, a Deno forwarder with no translation: the HTTP floor).",
  );
  print(
    "\nCPU ms per request by process (utime+stime from /proc/<pid>/stat; " +
      `one tick = ${fmt(1000 / clockTicks, 0)} ms, divided by the run's requests):\n`,
  );
  print(
    "| scenario | conc | path | load client | mock upstream | passthrough | proxy | proxy − passthrough |",
  );
  print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) {
    const { client, upstream, passthrough, proxy } = row.cpu;
    let extra = "";
    if (row.path === "proxy") {
      extra = fmt(proxy - find(row.scenario, "passthrough").cpu.passthrough, 3);
    }
    print(
      `| ${row.scenario.name} | ${row.scenario.concurrency} | ${row.path} | ${fmt(client, 3)} | ${
        fmt(upstream, 3)
      } | ${fmt(passthrough, 3)} | ${fmt(proxy, 3)} | ${extra} |`,
    );
  }
  print(`\nload benchmark took ${fmt(seconds, 1)} s`);
}

await main();
