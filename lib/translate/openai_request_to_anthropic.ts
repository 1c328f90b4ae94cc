/**
 * OpenAI chat-completions request → Anthropic Messages request. Pure: no I/O, no config reads.
 *
 * System and developer messages (anywhere) become `system`; consecutive `tool` messages fold
 * into one user turn of `tool_result` blocks; same-role runs merge, since Anthropic requires
 * alternation. `response_format: json_schema` becomes a forced tool whose input is the schema
 * (the answer is given back as message content); `json_object` becomes a system instruction.
 * Unsupported requests (`n > 1`, `logprobs`, audio, custom tools, file ids) are a 400.
 * @module
 */
import { invalidRequest } from "../errors.ts";
import type {
  ChatCompletionsRequest,
  InboundContentPart,
  InboundMessage,
  InboundTool,
} from "../openai/request_schema.ts";

/** An Anthropic content block as sent upstream. */
export type AnthropicBlock = Record<string, unknown> & { type: string };

/** The Messages request built. */
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: { role: "user" | "assistant"; content: AnthropicBlock[] }[];
  system?: string;
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  tools?: Record<string, unknown>[];
  tool_choice?: Record<string, unknown>;
  thinking?: { type: "enabled"; budget_tokens: number };
  metadata?: { user_id: string };
}

/** Switches from the route. */
export interface OpenAIRequestOptions {
  /** The upstream model. */
  model: string;
  /** max_tokens when the client sent none (Anthropic requires it). */
  defaultMaxTokens?: number;
  maxTokensCap?: number;
}

/** The translation and what the response side needs to answer in kind. */
export interface OpenAIRequestTranslation {
  value: AnthropicRequest;
  /** The forced tool that carries a json_schema answer; its input is the message content. */
  jsonTool?: { name: string; wrapped: boolean };
  includeUsage: boolean;
}

export const DEFAULT_MAX_TOKENS = 4096;
/** The tool name used for response_format json_schema. */
export const JSON_TOOL = "json_response";

const BUDGETS: Record<string, number> = {
  minimal: 1024,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
  max: 32768,
};
const MEDIA_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
const JSON_OBJECT_INSTRUCTION =
  "Respond only with a single valid JSON object: no prose, no code fences, nothing before or after it.";

/** Translates the request; throws a 400 ProxyError for what Anthropic cannot do. */
export function openAIRequestToAnthropic(
  body: ChatCompletionsRequest,
  options: OpenAIRequestOptions,
): OpenAIRequestTranslation {
  rejectUnsupported(body);
  const system: string[] = [];
  const turns: AnthropicRequest["messages"] = [];
  const push = (role: "user" | "assistant", blocks: AnthropicBlock[]) => {
    if (!blocks.length) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  // Deprecated function calls carry no id: each function_call gets one, answered by name.
  const functionIds = new Map<string, string[]>();
  let synthesized = 0;
  for (const [position, message] of body.messages.entries()) {
    const where = `messages.${position}`;
    switch (message.role) {
      case "system":
      case "developer": {
        const text = textOf(message.content, where);
        if (text.trim()) system.push(text);
        break;
      }
      case "user":
        push("user", userBlocks(message.content, where));
        break;
      case "assistant":
        push(
          "assistant",
          assistantBlocks(message, () => {
            const id = `call_fn_${synthesized++}`;
            const name = message.function_call!.name;
            functionIds.set(name, [...(functionIds.get(name) ?? []), id]);
            return id;
          }),
        );
        break;
      case "tool":
        push("user", [toolResult(message.tool_call_id, message.content, where)]);
        break;
      case "function": {
        const id = functionIds.get(message.name)?.shift() ?? `call_fn_${synthesized++}`;
        push("user", [toolResult(id, message.content, where)]);
        break;
      }
    }
  }
  if (!turns.length) {
    throw invalidRequest("messages: at least one user or assistant message is required");
  }

  let requested = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  if (requested === undefined || requested === 0) {
    requested = options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  }
  if (options.maxTokensCap) requested = Math.min(requested, options.maxTokensCap);
  const value: AnthropicRequest = { model: options.model, max_tokens: requested, messages: turns };

  const tools = toolsOf(body);
  let toolChoice = toolChoiceOf(body, tools);
  let jsonTool: OpenAIRequestTranslation["jsonTool"];
  const format = body.response_format;
  if (format?.type === "json_object") system.push(JSON_OBJECT_INSTRUCTION);
  else if (format?.type === "json_schema") {
    const schema = format.json_schema?.schema ?? { type: "object" };
    const wrapped = schema.type !== "object";
    const inputSchema = wrapped
      ? { type: "object", properties: { value: schema }, required: ["value"] }
      : schema;
    const description = format.json_schema?.description ??
      "Give the final answer by calling this tool; its input is the answer.";
    if (tools.some((tool) => tool.name === JSON_TOOL)) {
      throw invalidRequest(`tools: the name ${JSON_TOOL} is reserved for response_format`);
    }
    tools.push({ name: JSON_TOOL, description, input_schema: inputSchema });
    jsonTool = { name: JSON_TOOL, wrapped };
    if (tools.length === 1) toolChoice = { type: "tool", name: JSON_TOOL };
    else {
      system.push(
        `When you give your final answer, call the ${JSON_TOOL} tool with it instead of writing it as text.`,
      );
    }
  } else if (format && format.type !== "text") {
    throw invalidRequest(`response_format.type: unsupported value "${format.type}"`);
  }
  if (tools.length) value.tools = tools;
  if (toolChoice && tools.length) value.tool_choice = toolChoice;

  if (system.length) value.system = system.join("\n\n");
  if (body.stream) value.stream = true;
  const stops = (typeof body.stop === "string" ? [body.stop] : body.stop ?? []).filter((stop) =>
    stop.trim() !== ""
  );
  if (stops.length) value.stop_sequences = stops;
  if (typeof body.temperature === "number") {
    value.temperature = Math.min(1, Math.max(0, body.temperature));
  }
  // Newer Claude models reject temperature and top_p together: temperature wins.
  if (typeof body.top_p === "number" && value.temperature === undefined) value.top_p = body.top_p;
  const user = body.user ?? body.safety_identifier;
  if (user) value.metadata = { user_id: user };

  const effort = body.reasoning_effort?.toLowerCase();
  if (effort && effort !== "none") {
    const budget = BUDGETS[effort];
    if (budget === undefined) {
      throw invalidRequest(
        `reasoning_effort: unsupported value "${body.reasoning_effort}" (none, minimal, low, medium, high, xhigh)`,
      );
    }
    const forced = value.tool_choice?.type === "any" || value.tool_choice?.type === "tool";
    if (!forced && !trailingToolTurn(turns)) {
      value.thinking = { type: "enabled", budget_tokens: budget };
      value.max_tokens = budget + value.max_tokens;
      delete value.temperature;
      if (value.top_p !== undefined && value.top_p < 0.95) delete value.top_p;
    }
  }
  return { value, jsonTool, includeUsage: body.stream_options?.include_usage === true };
}

function rejectUnsupported(body: ChatCompletionsRequest): void {
  if (typeof body.n === "number" && body.n > 1) {
    throw invalidRequest("n: only 1 choice is supported by Anthropic backends");
  }
  if (body.logprobs === true || typeof body.top_logprobs === "number") {
    throw invalidRequest("logprobs: not supported by Anthropic backends");
  }
  if (body.modalities?.includes("audio") || body.audio != null) {
    throw invalidRequest("audio: audio output is not supported by Anthropic backends");
  }
}

/** Anthropic refuses a thinking request whose last assistant turn used tools without thinking. */
function trailingToolTurn(turns: AnthropicRequest["messages"]): boolean {
  const lastAssistant = turns.findLast((turn) => turn.role === "assistant");
  if (!lastAssistant?.content.some((block) => block.type === "tool_use")) return false;
  return turns.at(-1) === lastAssistant ||
    turns.at(-1)?.content.some((block) => block.type === "tool_result") === true;
}

function textOf(content: InboundMessage["content"], where: string): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content.map((part, i) => {
    if (part.type !== "text") {
      throw invalidRequest(`${where}.content.${i}: only text parts are allowed here`);
    }
    return (part as { text: string }).text;
  }).join("\n");
}

function userBlocks(content: InboundMessage["content"], where: string): AnthropicBlock[] {
  if (content == null) return [];
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return content.flatMap((part, i) => partBlock(part, `${where}.content.${i}`));
}

function partBlock(part: InboundContentPart, where: string): AnthropicBlock[] {
  const record = part as Record<string, unknown>;
  switch (part.type) {
    case "text": {
      const text = String(record.text ?? "");
      return text === "" ? [] : [{ type: "text", text }];
    }
    case "image_url": {
      const image = record.image_url as string | { url: string };
      return [imageBlock(typeof image === "string" ? image : image.url, where)];
    }
    case "file": {
      const file = record.file as { file_data?: string | null; file_id?: string | null };
      if (!file.file_data) {
        throw invalidRequest(`${where}.file: file ids are not supported; send file_data`);
      }
      const data = parseDataUrl(file.file_data);
      if (data?.mediaType !== "application/pdf") {
        throw invalidRequest(`${where}.file.file_data: only PDF data URLs are supported`);
      }
      return [{
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: data.data },
      }];
    }
    case "input_audio":
      throw invalidRequest(`${where}: audio input is not supported by Anthropic backends`);
    default:
      throw invalidRequest(`${where}.type: unsupported content part "${part.type}"`);
  }
}

function imageBlock(url: string, where: string): AnthropicBlock {
  const data = parseDataUrl(url);
  if (data) {
    if (!MEDIA_TYPES.has(data.mediaType)) {
      throw invalidRequest(
        `${where}.image_url: media type ${data.mediaType} is not supported (jpeg, png, gif, webp)`,
      );
    }
    return {
      type: "image",
      source: { type: "base64", media_type: data.mediaType, data: data.data },
    };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  throw invalidRequest(`${where}.image_url: expected a data: URL or an http(s) URL`);
}

function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1].toLowerCase(), data: match[2] } : undefined;
}

function assistantBlocks(
  message: Extract<InboundMessage, { role: "assistant" }>,
  functionId: () => string,
): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  const text = typeof message.content === "string"
    ? message.content
    : (message.content ?? []).map((part) =>
      part.type === "text" ? String((part as { text?: unknown }).text ?? "") : ""
    ).join("");
  if (text.trim()) blocks.push({ type: "text", text });
  if (message.refusal) blocks.push({ type: "text", text: message.refusal });
  for (const [i, call] of (message.tool_calls ?? []).entries()) {
    blocks.push({
      type: "tool_use",
      id: call.id || `call_${i}`,
      name: call.function.name,
      input: parseArguments(call.function.arguments),
    });
  }
  if (message.function_call) {
    blocks.push({
      type: "tool_use",
      id: functionId(),
      name: message.function_call.name,
      input: parseArguments(message.function_call.arguments),
    });
  }
  return blocks;
}

function parseArguments(args: unknown): Record<string, unknown> {
  let value = args;
  if (typeof args === "string") {
    try {
      value = JSON.parse(args);
    } catch {
      return {};
    }
  }
  return value && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

function toolResult(id: string, content: InboundMessage["content"], where: string): AnthropicBlock {
  const text = textOf(content, where);
  return { type: "tool_result", tool_use_id: id, content: text };
}

function toolsOf(body: ChatCompletionsRequest): Record<string, unknown>[] {
  const tools: Record<string, unknown>[] = [];
  for (const [i, tool] of (body.tools ?? []).entries()) tools.push(functionTool(tool, i));
  for (const fn of body.functions ?? []) {
    tools.push(functionTool({ type: "function", function: fn }, tools.length));
  }
  if (body.web_search_options != null) {
    tools.push({ type: "web_search_20250305", name: "web_search" });
  }
  return tools;
}

function functionTool(tool: InboundTool, i: number): Record<string, unknown> {
  if (tool.type !== "function" || !tool.function) {
    throw invalidRequest(`tools.${i}.type: only function tools are supported, got "${tool.type}"`);
  }
  const out: Record<string, unknown> = {
    name: tool.function.name,
    input_schema: tool.function.parameters ?? { type: "object", properties: {} },
  };
  if (tool.function.description) out.description = tool.function.description;
  return out;
}

function toolChoiceOf(
  body: ChatCompletionsRequest,
  tools: Record<string, unknown>[],
): Record<string, unknown> | undefined {
  let choice: Record<string, unknown> | undefined;
  const requested = body.tool_choice ?? body.function_call ?? undefined;
  if (typeof requested === "string") {
    const byName: Record<string, string> = { none: "none", auto: "auto", required: "any" };
    const type = byName[requested];
    if (!type) throw invalidRequest(`tool_choice: unsupported value "${requested}"`);
    choice = { type };
  } else if (requested) {
    const named = requested as {
      type?: string;
      name?: string;
      function?: { name: string };
      allowed_tools?: { mode: string; tools: { function?: { name: string } }[] };
    };
    if (named.type === "allowed_tools" && named.allowed_tools) {
      const allowed = new Set(named.allowed_tools.tools.map((tool) => tool.function?.name));
      for (let i = tools.length - 1; i >= 0; i--) {
        if (!allowed.has(tools[i].name as string)) tools.splice(i, 1);
      }
      choice = { type: named.allowed_tools.mode === "required" ? "any" : "auto" };
    } else {
      const name = named.function?.name ?? named.name;
      if (!name) throw invalidRequest("tool_choice: a named choice needs function.name");
      choice = { type: "tool", name };
    }
  }
  if (body.parallel_tool_calls === false && choice?.type !== "none") {
    choice = { ...(choice ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  return choice;
}
