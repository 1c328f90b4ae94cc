/**
 * OpenAI `finish_reason` → Anthropic `stop_reason`.
 * @module
 */
import type { StopReason } from "../anthropic/schema.ts";

/** What decided the stop, besides finish_reason itself. */
export interface StopContext {
  /** At least one tool_use block was emitted. */
  emittedTool: boolean;
  /** vLLM/SGLang report the matched stop string in `choices[].stop_reason`. */
  matchedStop?: string | number | null;
}

/** Maps a finish reason; total over unknown values (backends invent their own). */
export function toStopReason(
  finishReason: string | null | undefined,
  context: StopContext,
): { stop_reason: StopReason; stop_sequence: string | null } {
  switch (finishReason) {
    case "length":
      return { stop_reason: "max_tokens", stop_sequence: null };
    case "content_filter":
      return { stop_reason: "refusal", stop_sequence: null };
  }
  // Gemini, older Ollama and even gpt-4o say "stop" while calling tools: trust the content.
  if (context.emittedTool) return { stop_reason: "tool_use", stop_sequence: null };
  if (finishReason === "stop" && typeof context.matchedStop === "string") {
    return { stop_reason: "stop_sequence", stop_sequence: context.matchedStop };
  }
  return { stop_reason: "end_turn", stop_sequence: null };
}
