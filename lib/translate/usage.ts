/**
 * OpenAI usage → Anthropic usage. OpenAI's prompt_tokens include cached tokens; Anthropic's
 * input_tokens exclude them.
 * @module
 */
import type { Usage } from "../anthropic/schema.ts";
import type { OpenAIUsage } from "../openai/schema.ts";

/** Estimates used when the backend reports no usage at all (never report 0/0). */
export interface UsageEstimate {
  inputTokens: number;
  outputTokens: number;
}

/** Converts usage, falling back to estimates for anything the backend left out. */
export function toAnthropicUsage(
  usage: OpenAIUsage | null | undefined,
  estimate: UsageEstimate,
): Usage {
  if (!usage || (usage.prompt_tokens == null && usage.completion_tokens == null)) {
    return {
      input_tokens: estimate.inputTokens,
      output_tokens: Math.max(1, estimate.outputTokens),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
  }
  const cacheRead = usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_cache_hit_tokens ??
    0;
  const cacheWrite = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const prompt = usage.prompt_tokens ?? estimate.inputTokens + cacheRead + cacheWrite;
  let output = usage.completion_tokens ?? estimate.outputTokens;
  // xAI's completion_tokens exclude reasoning; total_tokens does not.
  if (usage.total_tokens != null && usage.prompt_tokens != null) {
    output = Math.max(output, usage.total_tokens - usage.prompt_tokens);
  }
  return {
    input_tokens: Math.max(0, prompt - cacheRead - cacheWrite),
    output_tokens: output,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}
