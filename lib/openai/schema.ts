/**
 * The OpenAI Chat Completions dialect: zod schemas for what backends send us (responses, stream
 * chunks), TypeScript interfaces for the requests we build. Every field a backend may omit or
 * null is `nullish`: OpenAI-compatible servers differ in what they leave out.
 * @module
 */
import { z } from "zod";

const num = z.number().nullish();

export const OpenAIUsage = z.looseObject({
  prompt_tokens: num,
  completion_tokens: num,
  total_tokens: num,
  prompt_tokens_details: z.looseObject({ cached_tokens: num, cache_write_tokens: num }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: num }).nullish(),
  // DeepSeek reports cache hits in its own fields.
  prompt_cache_hit_tokens: num,
});
export type OpenAIUsage = z.output<typeof OpenAIUsage>;

const FunctionPart = z.looseObject({
  name: z.string().nullish(),
  // A string per the spec; some backends send an already-parsed object. Optional: zod 4 makes an
  // unknown() key required, and name-only fragments leave arguments out.
  arguments: z.unknown().optional(),
});

export const ToolCall = z.looseObject({
  index: z.number().nullish(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: FunctionPart.nullish(),
  // Gemini 3: the call's thought signature, which must come back with the call next turn.
  extra_content: z.looseObject({
    google: z.looseObject({ thought_signature: z.string().nullish() }).nullish(),
  }).nullish(),
});
export type ToolCall = z.output<typeof ToolCall>;

/** Message content: a string, or (Mistral Magistral) an array of text/thinking parts. */
const Content = z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).nullish();

const reasoningFields = {
  content: Content,
  // DeepSeek, xAI, vLLM, Qwen.
  reasoning_content: z.string().nullish(),
  // Ollama, Groq, OpenRouter.
  reasoning: z.string().nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(ToolCall).nullish(),
  function_call: FunctionPart.nullish(),
  // OpenAI search models, OpenRouter's web plugin: url_citation annotations. Read defensively
  // (web_search.ts): an unexpected shape must not reject the whole chunk.
  annotations: z.unknown().optional(),
};

export const ChatCompletion = z.looseObject({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z.array(z.looseObject({
    index: num,
    message: z.looseObject(reasoningFields),
    finish_reason: z.string().nullish(),
    // vLLM/SGLang: the stop string (or token id) that ended generation.
    stop_reason: z.union([z.string(), z.number()]).nullish(),
  })),
  usage: OpenAIUsage.nullish(),
});
export type ChatCompletion = z.output<typeof ChatCompletion>;

export const ChatCompletionChunk = z.looseObject({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z.array(z.looseObject({
    index: num,
    delta: z.looseObject(reasoningFields).nullish(),
    finish_reason: z.string().nullish(),
    stop_reason: z.union([z.string(), z.number()]).nullish(),
  })).nullish(),
  usage: OpenAIUsage.nullish(),
  // Groq repeats usage here.
  x_groq: z.looseObject({ usage: OpenAIUsage.nullish() }).nullish(),
  // OpenRouter and others put errors inside an HTTP 200 stream.
  error: z.unknown().optional(),
});
export type ChatCompletionChunk = z.output<typeof ChatCompletionChunk>;

// ---- What we send ---------------------------------------------------------------------------

export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } }
  | { type: "file"; file: { filename: string; file_data: string } };

export interface OutgoingToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  /** Gemini 3 thought signature, returned with the call it came with. */
  extra_content?: { google: { thought_signature: string } };
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | ContentPart[] }
  | {
    role: "assistant";
    content: string | null;
    tool_calls?: OutgoingToolCall[];
    reasoning_content?: string;
  }
  | { role: "tool"; tool_call_id: string; content: string };

export interface FunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export type OpenAIToolChoice =
  | "auto"
  | "none"
  | "required"
  | { type: "function"; function: { name: string } };

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  temperature?: number;
  top_p?: number;
  stop?: string[];
  user?: string;
  tools?: FunctionTool[];
  tool_choice?: OpenAIToolChoice;
  parallel_tool_calls?: boolean;
  reasoning_effort?: string;
  /** OpenAI search models: run a web search. */
  web_search_options?: {
    user_location?: { type: "approximate"; approximate: Record<string, string> };
  };
  /** OpenRouter: its web plugin searches before the model answers. */
  plugins?: Array<{ id: "web" }>;
}
