/**
 * Translator linearity: is the proxy's per-request CPU linear in request size? Times the pure
 * path the server runs for every Messages request (JSON.parse of the body text, the common fast
 * path or zod validation, anthropicRequestToOpenAI, estimateTokens, JSON.stringify of the
 * upstream body), each step alone and the whole path together, on Claude-Code-shaped requests of
 * ~15 KB, ~150 KB and ~1.5 MB; and the stream translator (SSE decode → StreamTranslator →
 * encodeEvents, driven synchronously as lib/stream_response.ts does) on 200 and 2,000 chunks.
 * Prints markdown tables and a verdict: the ratio of µs per KB (or per chunk) at the largest
 * size to the smallest, which is close to 1 when the cost is linear.
 *
 *   deno run bench/linearity.ts
 *
 * Takes about 20 s. Each cell warms up, then runs timed batches and reports the median batch:
 * at these sizes a single mean mostly measures when the garbage collector happened to run. The
 * batches run round-robin over all cells, so a burst of load from another process on the machine
 * slows one batch of every cell rather than every batch of one cell.
 * @module
 */
import { commonMessagesRequest, MessagesRequest } from "../lib/anthropic/schema.ts";
import { validate } from "../lib/anthropic/validate.ts";
import { loadConfig } from "../lib/config.ts";
import { resolveRoute } from "../lib/model_map.ts";
import { encodeEvents } from "../lib/sse_encoder.ts";
import { SseDecoder } from "../lib/sse_decoder.ts";
import { estimateTokens } from "../lib/tokens.ts";
import { anthropicRequestToOpenAI } from "../lib/translate/anthropic_request_to_openai.ts";
import { StreamTranslator, VARYING_FIELDS } from "../lib/translate/openai_stream_to_anthropic.ts";
import type { StreamEvent } from "../lib/anthropic/schema.ts";
import { claudeCodeRequest, type ClaudeCodeRequestOptions, openAISseText } from "./fixtures.ts";

const WARMUP_MS = 200;
const MEASURE_MS = 600;
const BATCHES = 9;
const MAX_ITERATIONS = 50_000;

// Results are summed here so that no timed call is dead code.
let sink = 0;

/** One timed function; `samples` are µs per iteration, one per batch. */
interface Cell {
  fn: () => number;
  perBatch: number;
  samples: number[];
}

const cells: Cell[] = [];

/** Warms `fn` up and sizes its batches (about MEASURE_MS / BATCHES each); runAll times it. */
function measure(fn: () => number): Cell {
  let iterations = 0;
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd && iterations < MAX_ITERATIONS) {
    sink += fn();
    iterations++;
  }
  const warmUs = (WARMUP_MS * 1000) / Math.max(1, iterations);
  // A fixed count per batch (from the warm-up rate) keeps the clock out of the timed loop.
  const perBatch = Math.max(
    1,
    Math.min(
      Math.floor(MAX_ITERATIONS / BATCHES),
      Math.round((MEASURE_MS * 1000) / BATCHES / warmUs),
    ),
  );
  const cell: Cell = { fn, perBatch, samples: [] };
  cells.push(cell);
  return cell;
}

function runAll(): void {
  for (let batch = 0; batch < BATCHES; batch++) {
    for (const { fn, perBatch, samples } of cells) {
      const start = performance.now();
      for (let i = 0; i < perBatch; i++) sink += fn();
      samples.push(((performance.now() - start) * 1000) / perBatch);
    }
  }
}

/** Median µs per iteration. */
function median(cell: Cell): number {
  const sorted = [...cell.samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const timedIterations = (cell: Cell) => (cell.perBatch * BATCHES).toLocaleString("en-US");

const fmt = (value: number, digits = 1) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "linear within X%", or which way and how far it is not. */
function verdict(ratio: number, unit: string, from: string, to: string): string {
  const percent = Math.round(Math.abs(ratio - 1) * 100);
  const detail = `${unit} at ${to} / ${unit} at ${from} = ${ratio.toFixed(2)}`;
  if (ratio > 1.25) return `superlinear: ${detail} (cost per unit grows ${percent}%)`;
  if (ratio < 0.75) {
    return `sublinear: ${detail} (a fixed per-call cost dominates ${from}; no growth with size)`;
  }
  return `linear within ${percent}% (${detail})`;
}

// ---- Requests ----------------------------------------------------------------------------------

// The options the proxy uses under `deno task bench`, built as translate_bench.ts builds them.
const config = loadConfig(["--base-url", "http://127.0.0.1:9/v1", "--model", "gpt-test"], {});
if (config.action !== "serve") throw new Error("unexpected config action");
const route = resolveRoute(config.config, "claude-sonnet-4-5");
const options = { model: route.model, maxTokensCap: config.config.maxTokensCap, ...route.options };

// Growth is conversation history: more turns as the request grows. 150 KB is the request
// translate_bench.ts and load.ts use. Claude Code's system prompt and 12 tool schemas alone are
// ~22 KB, so the 15 KB request (an early turn of a short session) has them trimmed.
const SIZES: Array<[string, ClaudeCodeRequestOptions]> = [
  ["15 KB", { targetBytes: 15_000, turns: 4, systemLength: 1000, toolDescriptionLength: 100 }],
  ["150 KB", { targetBytes: 150_000 }],
  ["1.5 MB", { targetBytes: 1_500_000, turns: 300 }],
];

interface RequestRow {
  label: string;
  bytes: number;
  turns: number;
  fastPath: boolean;
  steps: Cell[];
  whole: Cell;
}

const requestRows: RequestRow[] = [];
for (const [label, request] of SIZES) {
  const text = JSON.stringify(claudeCodeRequest(request));
  const raw = JSON.parse(text);
  const fastPath = commonMessagesRequest(raw) !== undefined;
  const body = commonMessagesRequest(raw) ?? validate(MessagesRequest, raw);
  const translated = anthropicRequestToOpenAI(body, options).value;
  const steps = [
    measure(() => JSON.parse(text).max_tokens),
    measure(() => (commonMessagesRequest(raw) ?? validate(MessagesRequest, raw)).max_tokens),
    measure(() => anthropicRequestToOpenAI(body, options).value.messages.length),
    measure(() => estimateTokens(translated)),
    measure(() => JSON.stringify(translated).length),
  ];
  // The whole path in the server's order (lib/routes/messages.ts).
  const whole = measure(() => {
    const parsed = JSON.parse(text);
    const value = commonMessagesRequest(parsed) ?? validate(MessagesRequest, parsed);
    const out = anthropicRequestToOpenAI(value, options);
    const upstreamBody = JSON.stringify(out.value);
    return estimateTokens(out.value) + upstreamBody.length;
  });
  requestRows.push({
    label,
    bytes: text.length,
    turns: request.turns ?? 30,
    fastPath,
    steps,
    whole,
  });
}

// ---- Stream ------------------------------------------------------------------------------------

const streamOptions = {
  id: "msg_bench",
  model: "claude-sonnet-4-5",
  thinking: true,
  toolNames: new Map<string, string>(),
  inputTokens: 11_000,
  backend: "http://127.0.0.1:9/v1",
};

/**
 * One streamed answer, as translatedBody drives it: each upstream read decoded, translated and
 * encoded as one chunk. Returns the bytes written.
 */
function translateStream(pieces: Uint8Array[]): number {
  const decoder = new SseDecoder({ varying: VARYING_FIELDS });
  const translator = new StreamTranslator(streamOptions);
  const pending: StreamEvent[] = [];
  let terminated = false;
  const out = {
    enqueue: (event: StreamEvent) => pending.push(event),
    terminate: () => (terminated = true),
  };
  let bytes = 0;
  translator.start(out);
  const feed = (events: ReturnType<SseDecoder["feed"]>, last: boolean) => {
    for (const event of events) {
      if (terminated) break;
      translator.transform(event, out);
    }
    if (last && !terminated) translator.flush(out);
    if (pending.length) bytes += encodeEvents(pending.splice(0)).length;
  };
  for (const piece of pieces) {
    feed(decoder.feed(piece), false);
    if (terminated) return bytes;
  }
  feed(decoder.end(), true);
  return bytes;
}

interface StreamRow {
  chunks: number;
  bytes: number;
  whole: Cell;
}

const streamRows: StreamRow[] = [];
for (const chunks of [200, 2000]) {
  const sse = new TextEncoder().encode(openAISseText(chunks));
  // Network-sized reads (16 KiB), as in translate_bench.ts.
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < sse.length; at += 16_384) pieces.push(sse.subarray(at, at + 16_384));
  if (translateStream(pieces) === 0) throw new Error("empty stream");
  streamRows.push({ chunks, bytes: sse.length, whole: measure(() => translateStream(pieces)) });
}

// ---- Report ------------------------------------------------------------------------------------

runAll();
const perKB = (row: RequestRow) => median(row.whole) / (row.bytes / 1000);
const lines = [
  `Request path (median of ${BATCHES} batches; KB = 1,000 bytes; validate = ` +
  "commonMessagesRequest ?? zod)",
  "",
  "| size | bytes | turns | fast path | timed iterations | parse µs | validate µs | translate µs | " +
  `estimateTokens µs | stringify µs | whole path µs | whole µs/KB | µs/KB vs ${
    requestRows[0].label
  } |`,
  "|---|--:|--:|:-:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ...requestRows.map((row) =>
    `| ${row.label} | ${row.bytes.toLocaleString("en-US")} | ${row.turns} | ` +
    `${row.fastPath ? "yes" : "no (zod)"} | ${timedIterations(row.whole)} | ` +
    row.steps.map((step) => fmt(median(step))).join(" | ") +
    ` | ${fmt(median(row.whole))} | ${fmt(perKB(row), 2)} | ` +
    `×${(perKB(row) / perKB(requestRows[0])).toFixed(2)} |`
  ),
  "",
];
const first = requestRows[0];
const last = requestRows[requestRows.length - 1];
lines.push(`Verdict: ${verdict(perKB(last) / perKB(first), "µs/KB", first.label, last.label)}`);

const perChunk = (row: StreamRow) => median(row.whole) / row.chunks;
lines.push(
  "",
  "Stream translator (SseDecoder → StreamTranslator → encodeEvents, 16 KiB reads)",
  "",
  "| chunks | SSE bytes | timed iterations | µs per stream | µs per chunk |",
  "|--:|--:|--:|--:|--:|",
  ...streamRows.map((row) =>
    `| ${row.chunks.toLocaleString("en-US")} | ${row.bytes.toLocaleString("en-US")} | ` +
    `${timedIterations(row.whole)} | ${fmt(median(row.whole))} | ` +
    `${fmt(perChunk(row), 3)} |`
  ),
  "",
);
const few = streamRows[0];
const many = streamRows[streamRows.length - 1];
const chunkLabel = (row: StreamRow) => `${row.chunks.toLocaleString("en-US")} chunks`;
lines.push(
  `Verdict: ${
    verdict(perChunk(many) / perChunk(few), "µs/chunk", chunkLabel(few), chunkLabel(many))
  }`,
);
if (Number.isNaN(sink)) lines.push("(unreachable: keeps the timed results alive)");

// deno-lint-ignore no-console
console.log(lines.join("\n"));
