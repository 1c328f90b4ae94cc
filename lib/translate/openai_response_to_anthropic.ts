/**
 * OpenAI chat completion → Anthropic message (pure, non-streaming).
 * @module
 */
import type { MessageResponse, ResponseContentBlock } from "../anthropic/schema.ts";
import { ProxyError } from "../errors.ts";
import type { ChatCompletion } from "../openai/schema.ts";
import { messageParts } from "./message_parts.ts";
import { proxySignature } from "./signature.ts";
import { toStopReason } from "./stop_reason.ts";
import { splitThinkTags } from "./think_tags.ts";
import { finalizeArguments } from "./tool_arguments.ts";
import { clientToolId, repeatedToolId } from "./tool_names.ts";
import { toAnthropicUsage } from "./usage.ts";
import {
  CitationCollector,
  NO_SEARCH_NOTE,
  webSearchBlocks,
  type WebSearchRequest,
  withSearchUsage,
} from "./web_search.ts";

/** What the response translation needs from the request side. */
export interface ResponseOptions {
  /** The message id to report (`msg_…`). */
  id: string;
  /** The model name the client asked for; Claude clients expect it echoed. */
  model: string;
  /** Emit thinking blocks (only when the client asked for thinking). */
  thinking: boolean;
  /** upstream tool name → client tool name. */
  toolNames: Map<string, string>;
  /** Estimated input tokens, used when the backend reports no usage. */
  inputTokens: number;
  /** The request carried a web search tool (see web_search.ts). */
  webSearch?: WebSearchRequest;
}

/** Translates a validated completion. Throws ProxyError when a tool call cannot be repaired. */
export function openAIResponseToAnthropic(
  completion: ChatCompletion,
  options: ResponseOptions,
): MessageResponse {
  const choice = completion.choices.find((item) => (item.index ?? 0) === 0) ??
    completion.choices[0];
  const content: ResponseContentBlock[] = [];
  let outputChars = 0;
  if (choice) {
    for (const part of splitThinkTags(messageParts(choice.message))) {
      outputChars += part.text.length;
      if (part.kind === "thinking") {
        if (options.thinking) {
          content.push({ type: "thinking", thinking: part.text, signature: proxySignature() });
        }
      } else content.push({ type: "text", text: part.text });
    }
    // A copy: the legacy call must not be appended to the caller's completion.
    const calls = [...(choice.message.tool_calls ?? [])];
    const legacy = choice.message.function_call;
    if (legacy?.name) calls.push({ function: legacy });
    const usedIds = new Set<string>();
    for (const call of calls) {
      const name = call.function?.name;
      if (!name) continue;
      const args = finalizeArguments(call.function?.arguments);
      const clientName = options.toolNames.get(name) ?? name;
      if (!args.ok) {
        throw new ProxyError(
          502,
          "api_error",
          `The model called tool "${clientName}" with ${args.reason}`,
        );
      }
      outputChars += args.json.length;
      let id = clientToolId(call.id, call.extra_content?.google?.thought_signature || undefined);
      // Ids must not repeat within one message; a repeated upstream id still decodes to itself.
      if (usedIds.has(id) && call.id) id = repeatedToolId(call.id, usedIds.size);
      usedIds.add(id);
      content.push({
        type: "tool_use",
        id,
        name: clientName,
        input: JSON.parse(args.json),
      });
    }
  }
  const search = options.webSearch;
  const citations = new CitationCollector();
  if (search && search.mode !== "none") citations.add(choice?.message.annotations);
  const results = citations.results;
  // Anthropic's order: thinking, then the search and its results (or the note), then the answer.
  const first = content.findIndex((block) => block.type !== "thinking");
  const at = first === -1 ? content.length : first;
  if (results.length) content.splice(at, 0, ...webSearchBlocks(search!.query, results));
  else if (search?.mode === "none" && search.only) {
    content.splice(at, 0, { type: "text", text: NO_SEARCH_NOTE });
  }
  const stop = toStopReason(choice?.finish_reason, {
    emittedTool: content.some((block) => block.type === "tool_use"),
    matchedStop: choice?.stop_reason,
  });
  return {
    id: options.id,
    type: "message",
    role: "assistant",
    model: options.model,
    content,
    ...stop,
    usage: withSearchUsage(
      toAnthropicUsage(completion.usage, {
        inputTokens: options.inputTokens,
        outputTokens: Math.ceil(outputChars / 4),
      }),
      search,
      results.length > 0,
    ),
  };
}
