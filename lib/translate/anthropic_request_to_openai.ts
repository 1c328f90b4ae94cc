/**
 * Anthropic Messages request → OpenAI Chat Completions request (pure).
 * The OpenAI body is built from scratch, never spread from the input: OpenAI-compatible servers
 * answer unknown fields (`context_management`, `top_k`, `container`…) with a 400.
 * @module
 */
import type {
  ContentBlock,
  KnownContentBlock,
  MessageParam,
  MessagesRequest,
} from "../anthropic/schema.ts";
import { invalidRequest } from "../errors.ts";
import type {
  ChatCompletionRequest,
  ChatMessage,
  ContentPart,
  OutgoingToolCall,
} from "../openai/schema.ts";
import { toOpenAIToolChoice, toOpenAITools } from "./tools.ts";
import { isProxySignature } from "./signature.ts";
import {
  isWebSearchTool,
  openAIUserLocation,
  searchQuery,
  type WebSearchMode,
  type WebSearchRequest,
} from "./web_search.ts";
import {
  decodeToolId,
  fingerprint,
  toolNameTable,
  upstreamToolId,
  upstreamToolName,
} from "./tool_names.ts";

/** What the backend accepts; decided by config from the base URL and model. */
export interface RequestOptions {
  /** The upstream model name. */
  model: string;
  /** Upper bound for max_tokens (Claude Code asks for up to 128k, which many backends reject). */
  maxTokensCap?: number;
  /** Clean tool schemas for strict backends (Gemini). */
  cleanSchemas: boolean;
  /** The backend takes `reasoning_effort`. */
  reasoningEffort: boolean;
  /** OpenAI reasoning models: `max_completion_tokens`, no sampling parameters. */
  reasoningModel: boolean;
  /** Overrides the token field reasoningModel implies (Azure/OpenAI take max_completion_tokens). */
  maxCompletionTokens?: boolean;
  /** The backend takes PDF `file` parts (OpenAI). */
  acceptsPdf: boolean;
  /** The backend takes the `user` field. */
  sendUser: boolean;
  /**
   * Past reasoning sent back as `reasoning_content` on assistant messages (text of thinking blocks
   * the proxy signed): `all` on every assistant message, `""` when it had none (DeepSeek V3.1+/V4,
   * Kimi, GLM); `after-last-user` only on assistant messages after the last user message, and
   * only when there is reasoning (DeepSeek R1: earlier reasoning is a 400); `off` never.
   */
  reasoningHistory?: ReasoningHistory;
  /** Gemini 3: return each tool call's thought signature as `extra_content.google`. */
  thoughtSignatures?: boolean;
  /**
   * The backend's own web search for Anthropic's `web_search_*` tool: `openai` sends
   * `web_search_options` (OpenAI search models), `openrouter` the `web` plugin, `none` (the
   * default) drops the tool and says so.
   */
  webSearch?: WebSearchMode;
}

/** How past reasoning goes back upstream; see RequestOptions.reasoningHistory. */
export type ReasoningHistory = "off" | "all" | "after-last-user";

/** Gemini's documented placeholder for calls whose thought signature is unknown. */
export const SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator";

/** The translated request, warnings to log once, and the tool-name table for the response. */
export interface TranslatedRequest {
  value: ChatCompletionRequest;
  warnings: string[];
  /** upstream tool name → the client's tool name, for names that had to change. */
  toolNames: Map<string, string>;
  /** Present when the request carried a web search tool: how the answer reports it. */
  webSearch?: WebSearchRequest;
}

// Claude Code's attribution block changes every turn and would defeat prefix caching upstream.
const BILLING_HEADER = "x-anthropic-billing-header:";
const MAX_STOP_SEQUENCES = 4;
const EMPTY_TOOL_RESULT = "(no output)";
const MISSING_TOOL_RESULT = "[no result: the tool call was interrupted]";

/** Translates a validated Messages request. Throws ProxyError(400) for input it cannot send. */
export function anthropicRequestToOpenAI(
  request: MessagesRequest,
  options: RequestOptions,
): TranslatedRequest {
  const warnings: string[] = [];
  const messages: ChatMessage[] = [];

  const system = systemText(request.system, warnings);
  if (system) messages.push({ role: "system", content: system });
  convertMessages(request.messages, options, messages, warnings);

  const value: ChatCompletionRequest = { model: options.model, messages };

  const maxTokens = options.maxTokensCap
    ? Math.min(request.max_tokens, options.maxTokensCap)
    : request.max_tokens;
  if (options.maxCompletionTokens ?? options.reasoningModel) {
    value.max_completion_tokens = maxTokens;
  } else value.max_tokens = maxTokens;

  if (request.stream) {
    value.stream = true;
    value.stream_options = { include_usage: true };
  }
  if (!options.reasoningModel) {
    if (request.temperature != null) value.temperature = request.temperature;
    if (request.top_p != null) value.top_p = request.top_p;
  }
  if (request.stop_sequences?.length) {
    value.stop = request.stop_sequences.slice(0, MAX_STOP_SEQUENCES);
    if (request.stop_sequences.length > MAX_STOP_SEQUENCES) {
      warnings.push(`only the first ${MAX_STOP_SEQUENCES} stop_sequences were sent upstream`);
    }
  }
  const userId = request.metadata?.user_id;
  if (userId && options.sendUser) {
    value.user = userId.length <= 64 ? userId : `user_${fingerprint(userId)}`;
  }
  const effort = reasoningEffort(request);
  if (effort && options.reasoningEffort) value.reasoning_effort = effort;

  const toolNames = toolNameTable((request.tools ?? []).map((tool) => tool.name));
  let webSearch: WebSearchRequest | undefined;
  if (request.tools?.length) {
    const { tools, dropped } = toOpenAITools(request.tools, options);
    const search = request.tools.find(isWebSearchTool);
    const mode = options.webSearch ?? "none";
    if (search) {
      webSearch = {
        mode,
        query: searchQuery(request.messages),
        only: request.tools.length === 1,
      };
      if (mode === "openai") {
        const location = openAIUserLocation(search);
        value.web_search_options = location ? { user_location: location } : {};
      } else if (mode === "openrouter") value.plugins = [{ id: "web" }];
      const filters = search as { allowed_domains?: unknown; blocked_domains?: unknown };
      if (mode !== "none" && (filters.allowed_domains || filters.blocked_domains)) {
        warnings.push(
          `web search: allowed_domains/blocked_domains have no ${mode} equivalent and were not applied`,
        );
      }
    }
    for (const name of dropped) {
      if (search && mode !== "none" && name === `${search.name} (${search.type})`) continue;
      warnings.push(
        search && name === `${search.name} (${search.type})`
          ? `server tool ${name}: this backend has no web search the proxy can use (OpenAI: *-search-* models; OpenRouter: web plugin), so it was dropped; the answer reports web_search_requests: 0`
          : `server tool ${name} has no OpenAI equivalent and was dropped`,
      );
    }
    // OpenAI rejects `tools: []` and a tool_choice without tools.
    if (tools.length) {
      value.tools = tools;
      const choice = request.tool_choice;
      if (
        choice?.type === "tool" && choice.name &&
        !tools.some((tool) => tool.function.name === upstreamToolName(choice.name!))
      ) {
        // A named server tool was dropped; naming a function that is not sent is a 400 upstream.
        warnings.push(`tool_choice names "${choice.name}", which was dropped; sent "auto"`);
        value.tool_choice = "auto";
      } else if (choice) Object.assign(value, toOpenAIToolChoice(choice));
    }
  }
  return webSearch ? { value, warnings, toolNames, webSearch } : { value, warnings, toolNames };
}

function systemText(system: MessagesRequest["system"], warnings: string[]): string {
  if (system == null) return "";
  if (typeof system === "string") return system;
  const parts: string[] = [];
  for (const block of system) {
    if (block.type !== "text") {
      warnings.push(`system block of type "${block.type}" was dropped`);
      continue;
    }
    const text = (block as { text: string }).text;
    if (text && !text.startsWith(BILLING_HEADER)) parts.push(text);
  }
  return parts.join("\n\n");
}

function convertMessages(
  input: MessageParam[],
  options: RequestOptions,
  out: ChatMessage[],
  warnings: string[],
): void {
  // Tool calls of the last assistant turn that still wait for their results (a list: backends
  // such as Kimi may repeat an id within one turn).
  let pending: string[] = [];
  // System turns that arrive between a tool call and its result wait for the results.
  let deferred: ChatMessage[] = [];

  const closePending = () => {
    for (const id of pending) {
      out.push({ role: "tool", tool_call_id: id, content: MISSING_TOOL_RESULT });
    }
    pending = [];
    out.push(...deferred);
    deferred = [];
  };

  for (const message of input) {
    const blocks = typeof message.content === "string"
      ? [{ type: "text", text: message.content } as const]
      : message.content;
    if (message.role === "system") {
      const text = textOf(blocks, warnings, "system message");
      if (!text) continue;
      if (pending.length) deferred.push({ role: "system", content: text });
      else out.push({ role: "system", content: text });
    } else if (message.role === "assistant") {
      const assistant = assistantMessage(blocks, options, warnings);
      const previous = out.at(-1);
      if (assistant && previous?.role === "assistant" && !deferred.length) {
        // Anthropic merges consecutive assistant messages into one turn; closing the first
        // turn's calls here would turn their results (in the next user turn) into plain text.
        const texts = [previous.content, assistant.content].filter(Boolean);
        previous.content = texts.length ? texts.join("\n\n") : null;
        const reasoning = [previous.reasoning_content, assistant.reasoning_content].filter(Boolean);
        if (reasoning.length) previous.reasoning_content = reasoning.join("\n\n");
        if (assistant.tool_calls) {
          previous.tool_calls = [...previous.tool_calls ?? [], ...assistant.tool_calls];
          for (const call of assistant.tool_calls) pending.push(call.id);
        }
        continue;
      }
      closePending();
      if (assistant) {
        out.push(assistant);
        pending = assistant.tool_calls?.map((call) => call.id) ?? [];
      }
    } else {
      const user = userMessage(blocks, options, out, pending, warnings);
      closePending();
      if (user) out.push(user);
    }
  }
  closePending();
  applyReasoningHistory(out, options.reasoningHistory ?? "off");
}

/** Keeps, fills in or removes the reasoning assistantMessage restored, per the backend's rule. */
function applyReasoningHistory(out: ChatMessage[], mode: ReasoningHistory): void {
  const lastUser = out.findLastIndex((message) => message.role === "user");
  out.forEach((message, index) => {
    if (message.role !== "assistant") return;
    if (mode === "all") message.reasoning_content ??= "";
    else if (mode === "off" || index < lastUser || !message.reasoning_content) {
      delete message.reasoning_content;
    }
  });
}

/** Removes one occurrence of `id` from the pending calls; false when it was not pending. */
function takeId(pending: string[], id: string): boolean {
  const at = pending.indexOf(id);
  if (at === -1) return false;
  pending.splice(at, 1);
  return true;
}

function textOf(blocks: ContentBlock[], warnings: string[], where: string): string {
  const parts: string[] = [];
  for (const block of blocks) {
    if (block.type === "text") {
      const text = (block as { text: string }).text;
      if (text) parts.push(text);
    } else warnings.push(`${where}: block of type "${block.type}" was dropped`);
  }
  return parts.join("\n\n");
}

function assistantMessage(
  blocks: ContentBlock[],
  options: RequestOptions,
  warnings: string[],
): Extract<ChatMessage, { role: "assistant" }> | undefined {
  const texts: string[] = [];
  const reasoning: string[] = [];
  const calls: OutgoingToolCall[] = [];
  for (const raw of blocks) {
    const block = raw as KnownContentBlock;
    switch (block.type) {
      case "text":
        if (block.text) texts.push(block.text);
        break;
      case "tool_use": {
        const { id, thoughtSignature } = decodeToolId(block.id);
        const call: OutgoingToolCall = {
          id,
          type: "function",
          function: {
            name: upstreamToolName(block.name),
            arguments: JSON.stringify(block.input ?? {}),
          },
        };
        if (options.thoughtSignatures && thoughtSignature) {
          call.extra_content = { google: { thought_signature: thoughtSignature } };
        }
        calls.push(call);
        break;
      }
      case "thinking":
        // Never sent as visible text: the model would read its own reasoning as an answer. Only
        // reasoning the proxy returned (its own signature) goes back, as reasoning_content.
        if (isProxySignature(block.signature) && block.thinking.trim()) {
          reasoning.push(block.thinking);
        }
        break;
      case "redacted_thinking":
        break;
      default:
        warnings.push(`assistant message: block of type "${raw.type}" was dropped`);
    }
  }
  if (!texts.length && !calls.length) return undefined;
  const message: Extract<ChatMessage, { role: "assistant" }> = {
    role: "assistant",
    content: texts.length ? texts.join("\n\n") : null,
  };
  if (calls.length) message.tool_calls = calls;
  // Gemini 3 rejects a turn whose first call lacks its signature (history from another backend).
  if (options.thoughtSignatures && calls.length && !calls.some((call) => call.extra_content)) {
    calls[0].extra_content = { google: { thought_signature: SKIP_THOUGHT_SIGNATURE } };
  }
  if (reasoning.length) message.reasoning_content = reasoning.join("\n\n");
  return message;
}

/**
 * A user turn becomes its tool results as `tool` messages, pushed to `out` at once (OpenAI
 * requires them right after the assistant's calls), and one user message, returned, holding
 * images from tool results and the rest of the turn.
 */
function userMessage(
  blocks: ContentBlock[],
  options: RequestOptions,
  out: ChatMessage[],
  pending: string[],
  warnings: string[],
): ChatMessage | undefined {
  const parts: ContentPart[] = [];
  const toolImages: ContentPart[] = [];
  for (const raw of blocks) {
    const block = raw as KnownContentBlock;
    switch (block.type) {
      case "tool_result": {
        const id = upstreamToolId(block.tool_use_id);
        const { text, images } = toolResultContent(block, warnings);
        if (takeId(pending, id)) {
          out.push({ role: "tool", tool_call_id: id, content: text });
          if (images.length) {
            toolImages.push({ type: "text", text: `Image output of tool call ${id}:` }, ...images);
          }
        } else {
          // OpenAI rejects a tool message without a matching call; keep the content as text.
          parts.push({ type: "text", text: `[tool result for ${id}]: ${text}` }, ...images);
        }
        break;
      }
      case "text":
        if (block.text) parts.push({ type: "text", text: block.text });
        break;
      case "image":
        parts.push(imagePart(block));
        break;
      case "document":
        parts.push(documentPart(block, options));
        break;
      case "search_result":
        parts.push({ type: "text", text: searchResultText(block) });
        break;
      case "thinking":
      case "redacted_thinking":
        break;
      default:
        warnings.push(`user message: block of type "${raw.type}" was dropped`);
    }
  }
  const content = [...toolImages, ...parts];
  if (!content.length) return undefined;
  const textOnly = content.every((part) => part.type === "text");
  return {
    role: "user",
    content: textOnly
      ? content.map((part) => (part as { text: string }).text).join("\n\n")
      : content,
  };
}

type Block<T extends KnownContentBlock["type"]> = Extract<KnownContentBlock, { type: T }>;

function toolResultContent(
  block: Block<"tool_result">,
  warnings: string[],
): { text: string; images: ContentPart[] } {
  const texts: string[] = [];
  const images: ContentPart[] = [];
  if (typeof block.content === "string") texts.push(block.content);
  else {
    for (const part of block.content ?? []) {
      const item = part as Record<string, unknown>;
      if (part.type === "text" && typeof item.text === "string") texts.push(item.text);
      else if (part.type === "image") images.push(imagePart(part as Block<"image">));
      else if (part.type === "search_result") {
        texts.push(searchResultText(part as Block<"search_result">));
      } else if (part.type === "document") texts.push(documentText(part as Block<"document">));
      else if (part.type === "tool_reference") texts.push(`[tool: ${String(item.tool_name)}]`);
      else warnings.push(`tool_result: block of type "${part.type}" was dropped`);
    }
  }
  let text = texts.filter(Boolean).join("\n");
  if (!text) text = images.length ? "(see the image below)" : EMPTY_TOOL_RESULT;
  if (block.is_error) text = `Error: ${text}`;
  return { text, images };
}

function imagePart(block: Block<"image">): ContentPart {
  const source = block.source;
  if (source.type === "base64") {
    return {
      type: "image_url",
      image_url: { url: `data:${source.media_type};base64,${source.data}` },
    };
  }
  if (source.type === "url") return { type: "image_url", image_url: { url: source.url } };
  throw invalidRequest(
    "image blocks with a file source (Files API) cannot be sent to an OpenAI-compatible backend; send the image as base64 or url",
  );
}

function documentText(block: Block<"document">): string {
  const source = block.source as Record<string, unknown>;
  const heading = [block.title, block.context].filter(Boolean).join("\n");
  let body: string | undefined;
  if (source.type === "text" && typeof source.data === "string") body = source.data;
  else if (source.type === "content") {
    body = typeof source.content === "string"
      ? source.content
      : Array.isArray(source.content)
      ? source.content.map((part) => (part as { text?: string }).text ?? "").join("\n")
      : "";
  }
  if (body === undefined) {
    throw invalidRequest(
      `document blocks with a ${
        String(source.type)
      } source cannot be sent to this backend; send the document as text`,
    );
  }
  return heading ? `${heading}\n\n${body}` : body;
}

function documentPart(block: Block<"document">, options: RequestOptions): ContentPart {
  const source = block.source as Record<string, unknown>;
  if (source.type === "base64" && source.media_type === "application/pdf" && options.acceptsPdf) {
    return {
      type: "file",
      file: {
        filename: `${block.title || "document"}.pdf`,
        file_data: `data:application/pdf;base64,${String(source.data)}`,
      },
    };
  }
  if (source.type === "base64" && source.media_type === "application/pdf") {
    throw invalidRequest(
      "PDF documents cannot be sent to this backend (it does not accept file parts); extract the text first or use a PDF-capable backend such as OpenAI",
    );
  }
  return { type: "text", text: documentText(block) };
}

function searchResultText(block: Block<"search_result">): string {
  const body = block.content.map((part) => part.text ?? "").filter(Boolean).join("\n");
  return [block.title, block.source, body].filter(Boolean).join("\n");
}

const EFFORTS: Record<string, string> = {
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "high",
  max: "high",
};

/**
 * `thinking` and `output_config.effort` → one reasoning_effort, never a contradictory pair:
 * disabled or absent thinking sends nothing whatever the effort says; `adaptive` takes the effort
 * setting, else medium (its budget_tokens is ignored); `enabled` takes the effort setting when
 * there is one (the newer, explicit knob), else its budget (<4096 low, <16384 medium, else high);
 * xhigh/max clamp to high, the highest value every reasoning backend accepts.
 */
function reasoningEffort(request: MessagesRequest): string | undefined {
  const thinking = request.thinking;
  if (!thinking || !thinkingRequested(request)) return undefined;
  const effort = request.output_config?.effort;
  if (effort && EFFORTS[effort]) return EFFORTS[effort];
  if (thinking.type === "enabled" && thinking.budget_tokens) {
    const budget = thinking.budget_tokens;
    return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
  }
  return "medium";
}

/** Whether the client asked for thinking (only then do responses carry thinking blocks). */
export function thinkingRequested(request: { thinking?: { type: string } | null }): boolean {
  return request.thinking?.type === "enabled" || request.thinking?.type === "adaptive";
}
