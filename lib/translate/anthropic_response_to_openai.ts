/**
 * Anthropic Messages response → OpenAI chat completion (non-streaming), plus the stop-reason and
 * usage mappings the stream translator shares. Pure.
 * @module
 */

/** Anthropic usage as a backend reports it (every counter optional). */
export interface AnthropicUsageIn {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** OpenAI usage as sent to the client. */
export interface OpenAIUsageOut {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** What the response side knows from the request. */
export interface ResponseOptions {
  /** The chat completion id (`chatcmpl-…`). */
  id: string;
  /** The model the client asked for (echoed back). */
  model: string;
  created: number;
  /** The forced tool carrying a json_schema answer. */
  jsonTool?: { name: string; wrapped: boolean };
}

/** Anthropic stop_reason → OpenAI finish_reason. */
export function toFinishReason(stopReason: string | null | undefined): string {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}

/** Anthropic usage → OpenAI usage: prompt tokens include cache reads and writes. */
export function toOpenAIUsage(usage: AnthropicUsageIn | undefined): OpenAIUsageOut {
  const input = usage?.input_tokens ?? 0;
  const cacheRead = usage?.cache_read_input_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  const output = usage?.output_tokens ?? 0;
  const prompt = input + cacheRead + cacheWrite;
  const out: OpenAIUsageOut = {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
  if (cacheWrite) out.prompt_tokens_details.cache_write_tokens = cacheWrite;
  const thinking = usage?.output_tokens_details?.thinking_tokens;
  if (typeof thinking === "number") out.completion_tokens_details = { reasoning_tokens: thinking };
  return out;
}

/** The JSON text of a json_schema answer given as the forced tool's input. */
export function jsonToolContent(input: unknown, wrapped: boolean): string {
  const value = wrapped && input && typeof input === "object"
    ? (input as { value?: unknown }).value
    : input;
  return JSON.stringify(value ?? null);
}

interface Block {
  type: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

/** Translates a Messages response (validated loosely: content array and usage). */
export function anthropicResponseToOpenAI(
  message: { content?: Block[] | null; stop_reason?: string | null; usage?: AnthropicUsageIn },
  options: ResponseOptions,
): Record<string, unknown> {
  let text = "";
  let reasoning = "";
  let jsonAnswer = false;
  const toolCalls: {
    id: string;
    type: "function";
    function: { name: string; arguments: string };
  }[] = [];
  for (const block of message.content ?? []) {
    if (block.type === "text") text += block.text ?? "";
    else if (block.type === "thinking") reasoning += block.thinking ?? "";
    else if (block.type === "tool_use") {
      if (options.jsonTool && block.name === options.jsonTool.name) {
        text += jsonToolContent(block.input, options.jsonTool.wrapped);
        jsonAnswer = true;
        continue;
      }
      toolCalls.push({
        id: block.id ?? "",
        type: "function",
        function: { name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const finish = jsonAnswer && !toolCalls.length ? "stop" : toFinishReason(message.stop_reason);
  const out: Record<string, unknown> = {
    role: "assistant",
    content: text === "" && (toolCalls.length || jsonAnswer) ? null : text,
    refusal: null,
  };
  if (jsonAnswer) out.content = text;
  if (toolCalls.length) out.tool_calls = toolCalls;
  if (reasoning) out.reasoning_content = reasoning;
  return {
    id: options.id,
    object: "chat.completion",
    created: options.created,
    model: options.model,
    choices: [{ index: 0, message: out, logprobs: null, finish_reason: finish }],
    usage: toOpenAIUsage(message.usage),
  };
}
