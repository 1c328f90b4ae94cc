/**
 * The Anthropic Messages dialect: zod schemas for what clients send us, TypeScript interfaces
 * for what we emit. Schemas are loose on purpose: Claude Code adds fields and block types in
 * almost every release, and a proxy that rejects them breaks on upgrade.
 * @module
 */
import { z } from "zod";

const CacheControl = z.looseObject({ type: z.string() }).nullish();

export const TextBlock = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  cache_control: CacheControl,
});

export const ImageSource = z.union([
  z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal("url"), url: z.string() }),
  z.looseObject({ type: z.literal("file"), file_id: z.string() }),
]);

export const ImageBlock = z.looseObject({ type: z.literal("image"), source: ImageSource });

export const DocumentBlock = z.looseObject({
  type: z.literal("document"),
  source: z.looseObject({ type: z.string() }),
  title: z.string().nullish(),
  context: z.string().nullish(),
});

export const SearchResultBlock = z.looseObject({
  type: z.literal("search_result"),
  source: z.string().nullish(),
  title: z.string().nullish(),
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
});

export const ToolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});

export const ThinkingBlock = z.looseObject({
  type: z.literal("thinking"),
  thinking: z.string(),
  signature: z.string().nullish(),
});

export const RedactedThinkingBlock = z.looseObject({
  type: z.literal("redacted_thinking"),
  data: z.string(),
});

/**
 * A block checked by the schema its `type` names in `table` (own keys only: a block typed
 * "constructor" must not find Object.prototype's); other types pass through untouched.
 */
function blockByType<T>(table: Record<string, z.ZodType>) {
  // The block is checked once, by its own schema: no intermediate copy of it (a loose object
  // copies every key) on the way. BlockShape only runs to describe a block without a type.
  return z.unknown().transform((value, context): T => {
    const type = typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as { type?: unknown }).type
      : undefined;
    const result = typeof type !== "string"
      ? BlockShape.safeParse(value)
      : Object.hasOwn(table, type)
      ? table[type].safeParse(value)
      : undefined;
    if (!result) return value as T;
    if (result.success) return result.data as T;
    for (const issue of result.error.issues) {
      context.issues.push({ ...issue, input: value } as never);
    }
    return z.NEVER;
  });
}

const BlockShape = z.looseObject({ type: z.string() });

/** A tool_result's content: text, or blocks (images and documents need their source). */
const ToolResultContent = z.union([
  z.string(),
  z.array(
    blockByType<{ type: string; [key: string]: unknown }>({
      text: TextBlock,
      image: ImageBlock,
      document: DocumentBlock,
      search_result: SearchResultBlock,
    }),
  ),
]).nullish();

export const ToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: ToolResultContent,
  is_error: z.boolean().nullish(),
});

const KNOWN_BLOCKS = {
  text: TextBlock,
  image: ImageBlock,
  document: DocumentBlock,
  search_result: SearchResultBlock,
  tool_use: ToolUseBlock,
  tool_result: ToolResultBlock,
  thinking: ThinkingBlock,
  redacted_thinking: RedactedThinkingBlock,
} as const;

type KnownBlockType = keyof typeof KNOWN_BLOCKS;
export type KnownContentBlock = { [K in KnownBlockType]: z.output<(typeof KNOWN_BLOCKS)[K]> }[
  KnownBlockType
];
/** A block type we do not translate (server tool results, new types…): dropped with a warning. */
export interface UnknownContentBlock {
  type: string;
  [key: string]: unknown;
}
export type ContentBlock = KnownContentBlock | UnknownContentBlock;

/**
 * Any content block: known types are validated strictly enough to translate, unknown types pass
 * through untouched so the translator can drop them with a warning instead of a 400.
 */
export const ContentBlockSchema = blockByType<ContentBlock>(KNOWN_BLOCKS);

export const MessageParam = z.looseObject({
  // "system" inside messages: Claude Code sends mid-conversation system turns (2026 beta).
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(ContentBlockSchema)]),
});
export type MessageParam = z.output<typeof MessageParam>;

export const ToolDefinition = z.looseObject({
  name: z.string().min(1),
  type: z.string().nullish(),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()).nullish(),
});
export type ToolDefinition = z.output<typeof ToolDefinition>;

export const ToolChoice = z.looseObject({
  type: z.enum(["auto", "any", "tool", "none"]),
  name: z.string().nullish(),
  disable_parallel_tool_use: z.boolean().nullish(),
});
export type ToolChoice = z.output<typeof ToolChoice>;

export const ThinkingConfig = z.looseObject({
  type: z.string(),
  budget_tokens: z.number().nullish(),
});

export const SystemPrompt = z.union([z.string(), z.array(ContentBlockSchema)]);

const requestShape = {
  model: z.string().min(1),
  messages: z.array(MessageParam).min(1),
  system: SystemPrompt.nullish(),
  tools: z.array(ToolDefinition).nullish(),
  tool_choice: ToolChoice.nullish(),
  thinking: ThinkingConfig.nullish(),
  output_config: z.looseObject({ effort: z.string().nullish() }).nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
};

export const MessagesRequest = z.looseObject({
  ...requestShape,
  max_tokens: z.number().int().min(0),
  stream: z.boolean().nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  top_k: z.number().nullish(),
});
export type MessagesRequest = z.output<typeof MessagesRequest>;

/** count_tokens takes the same body minus the generation fields. */
export const CountTokensRequest = z.looseObject(requestShape);
export type CountTokensRequest = z.output<typeof CountTokensRequest>;

// ---- What we emit -------------------------------------------------------------------------

export type StopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Server tools run for this answer (web search through the backend's own search). */
  server_tool_use?: { web_search_requests: number; web_fetch_requests: number };
}

/** One search result, as Anthropic's web search reports it. */
export interface WebSearchResult {
  type: "web_search_result";
  url: string;
  title: string;
  encrypted_content: string;
  page_age: string | null;
}

/** A server tool call: the web search the backend ran. */
export interface ServerToolUseBlock {
  type: "server_tool_use";
  id: string;
  name: "web_search";
  input: { query: string };
  caller: { type: "direct" };
}

/** The results of that search. */
export interface WebSearchToolResultBlock {
  type: "web_search_tool_result";
  tool_use_id: string;
  content: WebSearchResult[];
  caller: { type: "direct" };
}

export type ResponseContentBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | ServerToolUseBlock
  | WebSearchToolResultBlock;

export interface MessageResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
}

export type ContentBlockStart =
  | { type: "text"; text: "" }
  | { type: "thinking"; thinking: ""; signature: "" }
  | { type: "tool_use"; id: string; name: string; input: Record<string, never> }
  | Omit<ServerToolUseBlock, "input"> & { input: Record<string, never> }
  | WebSearchToolResultBlock;

export type ContentDelta =
  | { type: "text_delta"; text: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "input_json_delta"; partial_json: string };

export type StreamEvent =
  | { type: "message_start"; message: MessageResponse }
  | { type: "content_block_start"; index: number; content_block: ContentBlockStart }
  | { type: "content_block_delta"; index: number; delta: ContentDelta }
  | { type: "content_block_stop"; index: number }
  | {
    type: "message_delta";
    delta: { stop_reason: StopReason; stop_sequence: string | null };
    usage: Usage;
  }
  | { type: "message_stop" }
  | { type: "ping" }
  | { type: "error"; error: { type: string; message: string } };

// ---- Fast path for the common request ------------------------------------------------------

/** MessagesRequest with the bulky fields taken as they are (checked by hand below). */
const MessagesRequestHead = MessagesRequest.extend({
  messages: z.unknown(),
  system: z.unknown().optional(),
  tools: z.unknown().optional(),
});

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const nullish = (value: unknown) => value === undefined || value === null;
const stringish = (value: unknown) => nullish(value) || typeof value === "string";
const ROLES = new Set(["user", "assistant", "system"]);

function plainText(block: Json): boolean {
  const cache = block.cache_control;
  return typeof block.text === "string" &&
    (nullish(cache) || (isObject(cache) && typeof cache.type === "string"));
}

/** Blocks of a tool_result: text, or types nobody validates. Images etc. go to zod. */
function plainResultPart(part: unknown): boolean {
  if (!isObject(part) || typeof part.type !== "string") return false;
  if (part.type === "text") return plainText(part);
  return !Object.hasOwn(KNOWN_BLOCKS, part.type) && !["image", "document"].includes(part.type);
}

/**
 * A block zod's ContentBlockSchema would accept unchanged, for the kinds Claude Code sends on
 * every turn; false for anything else (images, documents… or an invalid block), which zod
 * then checks (and describes).
 */
function plainBlock(block: unknown): boolean {
  if (!isObject(block) || typeof block.type !== "string") return false;
  switch (block.type) {
    case "text":
      return plainText(block);
    case "tool_use":
      return typeof block.id === "string" && typeof block.name === "string" &&
        Object.hasOwn(block, "input");
    case "tool_result": {
      const content = block.content;
      return typeof block.tool_use_id === "string" &&
        (nullish(block.is_error) || typeof block.is_error === "boolean") &&
        (stringish(content) || (Array.isArray(content) && content.every(plainResultPart)));
    }
    case "thinking":
      return typeof block.thinking === "string" && stringish(block.signature);
    case "redacted_thinking":
      return typeof block.data === "string";
    default:
      return !Object.hasOwn(KNOWN_BLOCKS, block.type);
  }
}

const plainContent = (content: unknown) =>
  typeof content === "string" || (Array.isArray(content) && content.every(plainBlock));

function plainTool(tool: unknown): boolean {
  return isObject(tool) && typeof tool.name === "string" && tool.name.length > 0 &&
    stringish(tool.type) && stringish(tool.description) &&
    (nullish(tool.input_schema) || isObject(tool.input_schema));
}

/**
 * The common request checked without copying it: the bulky parts (messages, system, tools) by
 * hand, the rest by zod. Returns undefined whenever anything is unusual, and the caller then
 * validates the whole request with zod (which also words the error). The result holds the
 * client's own message, system and tool objects, which are never modified.
 */
export function commonMessagesRequest(value: unknown): MessagesRequest | undefined {
  if (!isObject(value)) return undefined;
  const { messages, system, tools } = value;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  for (const message of messages) {
    if (!isObject(message) || !ROLES.has(message.role as string)) return undefined;
    if (!plainContent(message.content)) return undefined;
  }
  if (!nullish(system) && !plainContent(system)) return undefined;
  if (!nullish(tools) && !(Array.isArray(tools) && tools.every(plainTool))) return undefined;
  const head = MessagesRequestHead.safeParse(value);
  if (!head.success) return undefined;
  return head.data as MessagesRequest;
}
