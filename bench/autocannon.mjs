/**
 * Runs one autocannon load under Node for bench/load.ts. Reads one JSON job on stdin
 * ({ url, headers, body, connections, durationSec, warmupSec }), writes one JSON result on stdout:
 * autocannon's counts and latency percentiles (whole milliseconds) plus this process's CPU time.
 * autocannon comes from .cache/bench (see deno.json's bench:deps task).
 *
 *   node bench/autocannon.mjs < job.json
 * @module
 */
import { createRequire } from "node:module";
import process from "node:process";

const require = createRequire(new URL("../.cache/bench/", import.meta.url));
const autocannon = require("autocannon");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);

const options = {
  url: job.url,
  method: "POST",
  headers: job.headers,
  body: job.body,
  connections: job.connections,
  pipelining: 1,
  timeout: 20,
};

if (job.warmupSec > 0) await autocannon({ ...options, duration: job.warmupSec });
const cpu = process.cpuUsage();
const result = await autocannon({ ...options, duration: job.durationSec });
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({
  total: result.requests.total,
  ok: result["2xx"],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  durationMs: result.duration * 1000,
  p50: result.latency.p50,
  p99: result.latency.p99,
  meanLatency: result.latency.mean,
  clientCpuMs: (used.user + used.system) / 1000,
}));
