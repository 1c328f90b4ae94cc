/**
 * Inline reasoning: backends without a reasoning parser (LM Studio, llama.cpp, vLLM, Ollama with
 * some templates) put the model's reasoning into the visible content as `<think>…</think>`.
 * When the answer STARTS with `<think>` (after optional whitespace), the tagged span becomes a
 * thinking part and the rest text. Tags may be split across chunks (`</th` + `ink>`). Once the
 * answer has started with anything else, text passes through untouched and nothing is scanned.
 *
 * Whitespace around the reasoning is dropped (`<think>\n…\n</think>\n\n` is how templates write
 * it), so an empty `<think>\n\n</think>` yields no thinking part at all, and a whitespace-only
 * answer yields no text part: Anthropic rejects whitespace-only blocks when clients send them back.
 * @module
 */
import type { MessagePart } from "./message_parts.ts";

const OPEN = "<think>";
const CLOSE = "</think>";

/**
 * - `start`: nothing visible yet; holds whitespace and anything that may still become `<think>`.
 * - `thinking`: inside the tags; holds trailing whitespace and a possible partial `</think>`.
 * - `after`: past `</think>`; drops whitespace until the answer starts.
 * - `text`: pass-through.
 */
type State = "start" | "thinking" | "after" | "text";

/** Splits streamed content text into thinking and text parts; one instance per answer. */
export class ThinkTagSplitter {
  #state: State = "start";
  #held = "";
  #thought = false;

  /** Takes the next piece of visible content; returns the parts that are certain by now. */
  push(text: string): MessagePart[] {
    if (this.#state === "text") return text ? [{ kind: "text", text }] : [];
    this.#held += text;
    const parts: MessagePart[] = [];
    if (this.#state === "start") {
      const rest = this.#held.trimStart();
      // Only whitespace, or a prefix of "<think>": wait for more.
      if (rest.length < OPEN.length && OPEN.startsWith(rest)) return parts;
      if (!rest.startsWith(OPEN)) {
        const all = this.#held;
        this.#held = "";
        this.#state = "text";
        return [{ kind: "text", text: all }];
      }
      this.#state = "thinking";
      this.#held = rest.slice(OPEN.length);
    }
    if (this.#state === "thinking") {
      const end = this.#held.indexOf(CLOSE);
      if (end < 0) {
        const keep = partialTagLength(this.#held);
        const body = this.#held.slice(0, this.#held.length - keep).trimEnd();
        this.#thinking(parts, body);
        this.#held = this.#held.slice(body.length);
        return parts;
      }
      this.#thinking(parts, this.#held.slice(0, end).trimEnd());
      this.#held = this.#held.slice(end + CLOSE.length);
      this.#state = "after";
    }
    // state "after": the answer starts at its first non-whitespace character.
    const answer = this.#held.trimStart();
    this.#held = "";
    if (answer) {
      this.#state = "text";
      parts.push({ kind: "text", text: answer });
    }
    return parts;
  }

  /**
   * Releases whatever is held (the content ended, or a tool call interrupted it): a held
   * non-whitespace start as text, unterminated reasoning as thinking. Afterwards everything
   * passes through as text.
   */
  flush(): MessagePart[] {
    const held = this.#held;
    const state = this.#state;
    this.#held = "";
    this.#state = "text";
    const parts: MessagePart[] = [];
    if (state === "start" && held.trim()) parts.push({ kind: "text", text: held });
    else if (state === "thinking") this.#thinking(parts, held.trimEnd());
    return parts;
  }

  #thinking(parts: MessagePart[], text: string): void {
    const out = this.#thought ? text : text.trimStart();
    if (!out) return;
    this.#thought = true;
    parts.push({ kind: "thinking", text: out });
  }
}

/** Length of the longest end of `text` that is a proper prefix of `</think>`. */
function partialTagLength(text: string): number {
  for (let length = Math.min(CLOSE.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(CLOSE.slice(0, length))) return length;
  }
  return 0;
}

/**
 * The same for a whole message (non-streaming): text parts go through one splitter, and
 * neighbouring parts of one kind are merged.
 */
export function splitThinkTags(parts: MessagePart[]): MessagePart[] {
  const splitter = new ThinkTagSplitter();
  const out: MessagePart[] = [];
  const add = (part: MessagePart) => {
    const last = out.at(-1);
    if (last?.kind === part.kind) last.text += part.text;
    else out.push({ ...part });
  };
  for (const part of parts) {
    if (part.kind === "text") splitter.push(part.text).forEach(add);
    else add(part);
  }
  splitter.flush().forEach(add);
  return out;
}
