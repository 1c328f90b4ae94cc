/**
 * Reads the visible text and the reasoning out of an OpenAI message or delta, wherever the
 * backend put them: `reasoning_content` (DeepSeek, xAI, vLLM, Qwen), `reasoning` (Ollama, Groq,
 * OpenRouter), Mistral Magistral's content arrays with `thinking` parts, and `refusal`.
 * @module
 */

/** A piece of the answer, in the order the backend produced it. */
export interface MessagePart {
  kind: "text" | "thinking";
  text: string;
}

interface MessageLike {
  content?: string | Array<{ type: string; [key: string]: unknown }> | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  refusal?: string | null;
}

/** Non-empty parts: reasoning first (it precedes the answer), then content, then refusal. */
export function messageParts(message: MessageLike): MessagePart[] {
  const parts: MessagePart[] = [];
  const reasoning = message.reasoning_content || message.reasoning;
  if (reasoning) parts.push({ kind: "thinking", text: reasoning });
  const content = message.content;
  if (typeof content === "string") {
    if (content) parts.push({ kind: "text", text: content });
  } else if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === "text" && typeof part.text === "string" && part.text) {
        parts.push({ kind: "text", text: part.text });
      } else if (part.type === "thinking") {
        const text = thinkingText(part.thinking);
        if (text) parts.push({ kind: "thinking", text });
      }
    }
  }
  if (message.refusal) parts.push({ kind: "text", text: message.refusal });
  return parts;
}

function thinkingText(value: unknown): string {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  return value.map((item) => (typeof item?.text === "string" ? item.text : "")).join("");
}
