/**
 * What OpenAI clients send to POST /v1/chat/completions: zod schemas, lenient where clients
 * differ (loose objects, content as a string or parts) and strict where a wrong shape would
 * otherwise be silently misread.
 * @module
 */
import { z } from "zod";

const TextPart = z.looseObject({ type: z.literal("text"), text: z.string() });
const ImagePart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.union([z.string(), z.looseObject({ url: z.string() })]),
});
const FilePart = z.looseObject({
  type: z.literal("file"),
  file: z.looseObject({
    filename: z.string().nullish(),
    file_data: z.string().nullish(),
    file_id: z.string().nullish(),
  }),
});
const OtherPart = z.looseObject({ type: z.string() });
export const ContentPart = z.union([TextPart, ImagePart, FilePart, OtherPart]);
export type InboundContentPart = z.output<typeof ContentPart>;

const Content = z.union([z.string(), z.array(ContentPart)]).nullish();

export const InboundToolCall = z.looseObject({
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.looseObject({ name: z.string(), arguments: z.unknown().optional() }),
});

const FunctionCall = z.looseObject({ name: z.string(), arguments: z.unknown().optional() });

export const InboundMessage = z.discriminatedUnion("role", [
  z.looseObject({ role: z.literal("system"), content: Content }),
  z.looseObject({ role: z.literal("developer"), content: Content }),
  z.looseObject({ role: z.literal("user"), content: Content }),
  z.looseObject({
    role: z.literal("assistant"),
    content: Content,
    refusal: z.string().nullish(),
    tool_calls: z.array(InboundToolCall).nullish(),
    function_call: FunctionCall.nullish(),
  }),
  z.looseObject({ role: z.literal("tool"), tool_call_id: z.string(), content: Content }),
  z.looseObject({ role: z.literal("function"), name: z.string(), content: Content }),
]);
export type InboundMessage = z.output<typeof InboundMessage>;

const FunctionDefinition = z.looseObject({
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

export const InboundTool = z.looseObject({
  type: z.string(),
  function: FunctionDefinition.optional(),
});
export type InboundTool = z.output<typeof InboundTool>;

const NamedChoice = z.looseObject({
  type: z.string(),
  function: z.looseObject({ name: z.string() }).optional(),
  allowed_tools: z.looseObject({
    mode: z.string(),
    tools: z.array(
      z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }).optional() }),
    ),
  }).optional(),
});
export const InboundToolChoice = z.union([z.string(), NamedChoice]);
export type InboundToolChoice = z.output<typeof InboundToolChoice>;

export const ResponseFormat = z.looseObject({
  type: z.string(),
  json_schema: z.looseObject({
    name: z.string().nullish(),
    description: z.string().nullish(),
    schema: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }).nullish(),
});

/** The request body; fields not listed are accepted and ignored (see the translator). */
export const ChatCompletionsRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(InboundMessage).min(1),
  max_tokens: z.number().int().nonnegative().nullish(),
  max_completion_tokens: z.number().int().nonnegative().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  n: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  tools: z.array(InboundTool).nullish(),
  tool_choice: InboundToolChoice.nullish(),
  functions: z.array(FunctionDefinition).nullish(),
  function_call: z.union([z.string(), z.looseObject({ name: z.string() })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning_effort: z.string().nullish(),
  response_format: ResponseFormat.nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().nullish(),
  modalities: z.array(z.string()).nullish(),
  audio: z.unknown().optional(),
  web_search_options: z.unknown().optional(),
});
export type ChatCompletionsRequest = z.output<typeof ChatCompletionsRequest>;
