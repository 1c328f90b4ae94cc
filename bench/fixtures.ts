/**
 * Deterministic benchmark inputs: Claude-Code-shaped Anthropic requests of a given size (~15 KB
 * to ~1.5 MB), a ~1 KB request, OpenAI SSE streams of N text chunks and a typical non-streaming
 * completion; for the reverse direction, Anthropic SSE streams of N text deltas and a typical
 * non-streaming Messages response.
 * Pure builders (no lib imports), so the mock upstream can use them without loading zod.
 * @module
 */

/** A small seeded PRNG (mulberry32): the same bytes on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the a file function returns value when this that request response stream tool call result " +
  "config handler error message block index content model backend token usage schema field " +
  "should must never always each every first last next before after because while only also " +
  "read write edit search test build check run start stop open close parse encode decode"
).split(" ");
const IDENTS = [
  "request",
  "response",
  "config",
  "handler",
  "stream",
  "events",
  "chunk",
  "value",
  "options",
  "result",
  "index",
  "buffer",
  "encoder",
  "decoder",
  "logger",
];

/** Prose of exactly `length` characters (sentences of the words above). */
export function prose(length: number, seed = 1): string {
  const random = prng(seed);
  let out = "";
  let sentence = 0;
  while (out.length < length) {
    const word = WORDS[Math.floor(random() * WORDS.length)];
    out += sentence === 0 ? word[0].toUpperCase() + word.slice(1) : word;
    sentence++;
    if (sentence > 8 && random() < 0.15) {
      out += ". ";
      sentence = 0;
    } else out += " ";
  }
  return out.slice(0, length);
}

/** Source-file-like text (`cat -n` style lines, as Claude Code's Read returns) of ~`length`. */
function codeText(length: number, seed: number): string {
  const random = prng(seed);
  const pick = () => IDENTS[Math.floor(random() * IDENTS.length)];
  const lines: string[] = [];
  let size = 0;
  let line = 1;
  while (size < length) {
    const indent = "  ".repeat(Math.floor(random() * 4));
    const kind = random();
    const body = kind < 0.3
      ? `const ${pick()} = await ${pick()}.${pick()}(${pick()}, { ${pick()}: ${line} });`
      : kind < 0.55
      ? `if (${pick()}.${pick()} === undefined) return ${pick()};`
      : kind < 0.75
      ? `// ${prose(30 + Math.floor(random() * 40), line + seed)}`
      : kind < 0.9
      ? `${pick()}.push({ type: "${pick()}", ${pick()}: "${pick()}-${line}" });`
      : "}";
    const text = `${String(line).padStart(6)}\t${indent}${body}`;
    lines.push(text);
    size += text.length + 1;
    line++;
  }
  return lines.join("\n").slice(0, length);
}

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function toolUseId(n: number): string {
  const random = prng(1000 + n);
  let id = "toolu_01";
  for (let i = 0; i < 22; i++) id += ID_ALPHABET[Math.floor(random() * 62)];
  return id;
}

const SCHEMA = "https://json-schema.org/draft/2020-12/schema";

type Json = Record<string, unknown>;

function tool(name: string, descriptionLength: number, properties: Json, required: string[]) {
  return {
    name,
    description: prose(descriptionLength, name.length * 7919),
    input_schema: {
      $schema: SCHEMA,
      type: "object",
      properties,
      required,
      additionalProperties: false,
    },
  };
}

const str = (description: string) => ({ type: "string", description });
const num = (description: string) => ({ type: "number", description });
const bool = (description: string) => ({ type: "boolean", description });

/** Claude Code's 12 core tools, with JSON schemas as it sends them. */
export function claudeCodeTools(descriptionLength = 700): Json[] {
  const d = descriptionLength;
  return [
    tool("Task", d, {
      description: str("A short (3-5 word) description of the task"),
      prompt: str("The task for the agent to perform"),
      subagent_type: str("The type of specialized agent to use for this task"),
    }, ["description", "prompt", "subagent_type"]),
    tool("Bash", d, {
      command: str("The command to execute"),
      timeout: num("Optional timeout in milliseconds (max 600000)"),
      description: str("Clear, concise description of what this command does in 5-10 words"),
      run_in_background: bool("Set to true to run this command in the background."),
    }, ["command"]),
    tool("Glob", d, {
      pattern: str("The glob pattern to match files against"),
      path: str("The directory to search in. Defaults to the current working directory."),
    }, ["pattern"]),
    tool("Grep", d, {
      pattern: str("The regular expression pattern to search for in file contents"),
      path: str("File or directory to search in. Defaults to current working directory."),
      glob: str('Glob pattern to filter files (e.g. "*.js", "*.{ts,tsx}")'),
      output_mode: {
        type: "string",
        enum: ["content", "files_with_matches", "count"],
        description: "Output mode. Defaults to files_with_matches.",
      },
      "-i": bool("Case insensitive search"),
      "-n": bool("Show line numbers in output"),
      head_limit: num("Limit output to first N lines/entries"),
      multiline: bool("Enable multiline mode where . matches newlines"),
    }, ["pattern"]),
    tool("LS", d, {
      path: str("The absolute path to the directory to list (must be absolute, not relative)"),
      ignore: { type: "array", items: { type: "string" }, description: "Glob patterns to ignore" },
    }, ["path"]),
    tool("Read", d, {
      file_path: str("The absolute path to the file to read"),
      offset: num("The line number to start reading from"),
      limit: num("The number of lines to read"),
    }, ["file_path"]),
    tool("Edit", d, {
      file_path: str("The absolute path to the file to modify"),
      old_string: str("The text to replace"),
      new_string: str("The text to replace it with (must be different from old_string)"),
      replace_all: { type: "boolean", default: false, description: "Replace all occurrences" },
    }, ["file_path", "old_string", "new_string"]),
    tool("MultiEdit", d, {
      file_path: str("The absolute path to the file to modify"),
      edits: {
        type: "array",
        minItems: 1,
        description: "Array of edit operations to perform sequentially on the file",
        items: {
          type: "object",
          properties: {
            old_string: str("The text to replace"),
            new_string: str("The text to replace it with"),
            replace_all: { type: "boolean", default: false },
          },
          required: ["old_string", "new_string"],
          additionalProperties: false,
        },
      },
    }, ["file_path", "edits"]),
    tool("Write", d, {
      file_path: str("The absolute path to the file to write (must be absolute, not relative)"),
      content: str("The content to write to the file"),
    }, ["file_path", "content"]),
    tool("NotebookEdit", d, {
      notebook_path: str("The absolute path to the Jupyter notebook file to edit"),
      cell_id: str("The ID of the cell to edit"),
      new_source: str("The new source for the cell"),
      cell_type: { type: "string", enum: ["code", "markdown"] },
      edit_mode: { type: "string", enum: ["replace", "insert", "delete"] },
    }, ["notebook_path", "new_source"]),
    tool("WebFetch", d, {
      url: { type: "string", format: "uri", description: "The URL to fetch content from" },
      prompt: str("The prompt to run on the fetched content"),
    }, ["url", "prompt"]),
    tool("TodoWrite", d, {
      todos: {
        type: "array",
        description: "The updated todo list",
        items: {
          type: "object",
          properties: {
            content: { type: "string", minLength: 1 },
            status: { type: "string", enum: ["pending", "in_progress", "completed"] },
            activeForm: { type: "string", minLength: 1 },
          },
          required: ["content", "status", "activeForm"],
          additionalProperties: false,
        },
      },
    }, ["todos"]),
  ];
}

const TOOL_INPUTS: Array<[string, (n: number) => Json]> = [
  ["Read", (n) => ({ file_path: `/home/user/project/src/module_${n}.ts` })],
  ["Grep", (n) => ({ pattern: `handle${n}\\(`, path: "src", output_mode: "content", "-n": true })],
  ["Bash", (n) => ({ command: `deno test tests/case_${n}_test.ts`, description: "Run one test" })],
  ["Glob", (n) => ({ pattern: `src/**/*_${n}.ts` })],
  ["Edit", (n) => ({
    file_path: `/home/user/project/src/module_${n}.ts`,
    old_string: `return value${n};`,
    new_string: `return value${n} ?? fallback;`,
  })],
];

/** Options for {@link claudeCodeRequest}. */
export interface ClaudeCodeRequestOptions {
  /** Approximate JSON size in bytes (the tool results are sized to reach it). */
  targetBytes: number;
  /** Assistant/user turn pairs of tool_use/tool_result history (default 30). */
  turns?: number;
  stream?: boolean;
  /** Characters of prose in the main system prompt (default 6000). */
  systemLength?: number;
  /** Characters of each tool's description (default 700). */
  toolDescriptionLength?: number;
}

function buildRequest(
  turns: number,
  resultLength: number,
  stream: boolean,
  toolDesc: number,
  systemLength: number,
) {
  const messages: Json[] = [{
    role: "user",
    content: [
      {
        type: "text",
        text: "<system-reminder>\nAs you answer the user's questions, you can use the " +
          "following context:\n# claudeMd\n" + prose(600, 77) + "\n</system-reminder>",
      },
      { type: "text", text: "Fix the failing tests in src/ and explain what was wrong." },
    ],
  }];
  for (let turn = 0; turn < turns; turn++) {
    const [name, input] = TOOL_INPUTS[turn % TOOL_INPUTS.length];
    const id = toolUseId(turn);
    const assistant: Json[] = [];
    if (turn % 5 === 0) {
      assistant.push({
        type: "thinking",
        thinking: prose(240, 500 + turn),
        signature: "Eq" + "A".repeat(300) + String(turn),
      });
    }
    assistant.push(
      { type: "text", text: prose(120, 900 + turn) },
      { type: "tool_use", id, name, input: input(turn) },
    );
    messages.push({ role: "assistant", content: assistant });
    const last = turn === turns - 1;
    const result: Json = {
      type: "tool_result",
      tool_use_id: id,
      content: turn % 7 === 3
        ? [{ type: "text", text: codeText(resultLength, 3000 + turn) }]
        : codeText(resultLength, 3000 + turn),
      is_error: turn % 11 === 5,
    };
    if (last) result.cache_control = { type: "ephemeral" };
    messages.push({ role: "user", content: [result] });
  }
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 32000,
    stream,
    thinking: { type: "adaptive" },
    metadata: { user_id: "user_0d5f3c6a1b2e4f7a9c8d3e2f1a0b9c8d_account__session_bench" },
    system: [
      {
        type: "text",
        text: "x-anthropic-billing-header: cc_version=2.1.328.a3f; cc_entrypoint=cli; cch=97bd6;",
      },
      {
        type: "text",
        text: "You are Claude Code, Anthropic's official CLI for Claude.",
        cache_control: { type: "ephemeral" },
      },
      {
        type: "text",
        text: "You are an interactive CLI tool that helps users with software engineering " +
          "tasks.\n\n" + prose(systemLength, 42) + "\n\nWorking directory: /home/user/project",
        cache_control: { type: "ephemeral" },
      },
    ],
    tools: claudeCodeTools(toolDesc),
    messages,
  };
}

/**
 * A Claude Code turn: 3 system blocks, 12 tools, ~30 turns of tool_use/tool_result history,
 * adaptive thinking, sized to about `targetBytes` of JSON.
 */
export function claudeCodeRequest(options: ClaudeCodeRequestOptions): Json {
  const turns = options.turns ?? 30;
  const stream = options.stream ?? true;
  const system = options.systemLength ?? 6000;
  const toolDesc = options.toolDescriptionLength ?? 700;
  const build = (length: number) => buildRequest(turns, length, stream, toolDesc, system);
  const size = (length: number) => JSON.stringify(build(length)).length;
  // Sizes are close to linear in the result length; two secant steps land within ~1%.
  let low = 50;
  let high = 4000;
  let length = low;
  for (let step = 0; step < 3; step++) {
    const sLow = size(low);
    const sHigh = size(high);
    length = Math.max(
      10,
      Math.round(low + (options.targetBytes - sLow) * (high - low) / (sHigh - sLow)),
    );
    low = length;
    high = length + 500;
  }
  return build(length);
}

/** A ~1 KB Messages request: short system prompt, one user question. */
export function smallRequest(stream = false): Json {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    stream,
    system: "You are a concise assistant. " + prose(300, 5),
    messages: [
      {
        role: "user",
        content: "Summarize the following notes in two sentences.\n" + prose(480, 6),
      },
    ],
  };
}

const CHUNK_BASE = {
  id: "chatcmpl-BenchStream0001",
  object: "chat.completion.chunk",
  created: 1767225600,
  model: "gpt-test",
  system_fingerprint: "fp_bench",
};

/**
 * OpenAI chat.completion.chunk objects: `n` text chunks (token-sized pieces, the first with
 * the role), then the finish chunk and the usage chunk.
 */
export function openAIStreamChunks(n: number): Json[] {
  const random = prng(n);
  const chunks: Json[] = [];
  for (let i = 0; i < n; i++) {
    const word = WORDS[Math.floor(random() * WORDS.length)];
    const delta: Json = i === 0 ? { role: "assistant", content: word } : { content: ` ${word}` };
    chunks.push({
      ...CHUNK_BASE,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
    });
  }
  chunks.push({
    ...CHUNK_BASE,
    choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
  });
  chunks.push({
    ...CHUNK_BASE,
    choices: [],
    usage: {
      prompt_tokens: 11_250,
      completion_tokens: n,
      total_tokens: 11_250 + n,
      prompt_tokens_details: { cached_tokens: 10_240 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  });
  return chunks;
}

/** The SSE text of {@link openAIStreamChunks}, ending with `data: [DONE]`. */
export function openAISseText(n: number): string {
  let text = "";
  for (const chunk of openAIStreamChunks(n)) text += `data: ${JSON.stringify(chunk)}\n\n`;
  return text + "data: [DONE]\n\n";
}

/** A typical non-streaming completion: a sentence of text and one tool call. */
export function openAICompletion(): Json {
  return {
    id: "chatcmpl-BenchCompletion01",
    object: "chat.completion",
    created: 1767225600,
    model: "gpt-test",
    system_fingerprint: "fp_bench",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: "I'll run the failing test to see the error. " + prose(160, 9),
        refusal: null,
        tool_calls: [{
          id: "call_Bq3xY7kLmN2pQ8rS1tU4vW6z",
          type: "function",
          function: {
            name: "Bash",
            arguments: JSON.stringify({
              command: "deno test tests/handler_test.ts --filter stream",
              description: "Run the failing stream test",
            }),
          },
        }],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    }],
    usage: {
      prompt_tokens: 812,
      completion_tokens: 64,
      total_tokens: 876,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  };
}

/**
 * Anthropic Messages stream events: message_start, a text block of `n` text deltas
 * (token-sized pieces), content_block_stop, message_delta (end_turn, usage), message_stop.
 */
export function anthropicStreamEvents(n: number): Json[] {
  const random = prng(n);
  const events: Json[] = [{
    type: "message_start",
    message: {
      id: "msg_01BenchStream0000000001",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5-20250929",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 1_010,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 10_240,
        output_tokens: 1,
      },
    },
  }, {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  }];
  for (let i = 0; i < n; i++) {
    const word = WORDS[Math.floor(random() * WORDS.length)];
    events.push({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: i === 0 ? word : ` ${word}` },
    });
  }
  events.push({ type: "content_block_stop", index: 0 });
  events.push({
    type: "message_delta",
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: {
      input_tokens: 1_010,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 10_240,
      output_tokens: n,
    },
  });
  events.push({ type: "message_stop" });
  return events;
}

/** The SSE text of {@link anthropicStreamEvents}: `event: <type>\ndata: <json>\n\n` each. */
export function anthropicSseText(n: number): string {
  let text = "";
  for (const event of anthropicStreamEvents(n)) {
    text += `event: ${(event as { type: string }).type}\ndata: ${JSON.stringify(event)}\n\n`;
  }
  return text;
}

/** A typical non-streaming Messages response: a sentence of text and one tool_use block. */
export function anthropicMessage(): Json {
  return {
    id: "msg_01BenchMessage000000001",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5-20250929",
    content: [
      { type: "text", text: "I'll run the failing test to see the error. " + prose(160, 9) },
      {
        type: "tool_use",
        id: "toolu_01Bq3xY7kLmN2pQ8rS1tU4vW",
        name: "Bash",
        input: {
          command: "deno test tests/handler_test.ts --filter stream",
          description: "Run the failing stream test",
        },
      },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: {
      input_tokens: 812,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 64,
    },
  };
}
