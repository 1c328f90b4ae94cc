/**
 * Inline `<think>…</think>` reasoning at the start of the visible answer (protocol G.33).
 */
import { deepStrictEqual } from "node:assert/strict";
import type { MessagePart } from "../lib/translate/message_parts.ts";
import { splitThinkTags, ThinkTagSplitter } from "../lib/translate/think_tags.ts";

const thinking = (text: string): MessagePart => ({ kind: "thinking", text });
const text = (text: string): MessagePart => ({ kind: "text", text });

/** Runs pieces through one splitter and merges neighbouring parts of one kind. */
function run(pieces: string[]): MessagePart[] {
  const splitter = new ThinkTagSplitter();
  const parts = [...pieces.flatMap((piece) => splitter.push(piece)), ...splitter.flush()];
  const merged: MessagePart[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if (last?.kind === part.kind) last.text += part.text;
    else merged.push({ ...part });
  }
  return merged;
}

Deno.test("ThinkTagSplitter passes an answer that does not start with <think> through at once", () => {
  const splitter = new ThinkTagSplitter();
  deepStrictEqual(splitter.push("Hello"), [text("Hello")]);
  deepStrictEqual(splitter.push(" <think>not reasoning</think>"), [
    text(" <think>not reasoning</think>"),
  ]);
  deepStrictEqual(splitter.push(""), []);
  deepStrictEqual(splitter.flush(), []);
});

Deno.test("ThinkTagSplitter splits a whole tagged answer in one push", () => {
  const splitter = new ThinkTagSplitter();
  deepStrictEqual(splitter.push("<think>\nStep 1.\nStep 2.\n</think>\n\nDone."), [
    thinking("Step 1.\nStep 2."),
    text("Done."),
  ]);
  deepStrictEqual(splitter.flush(), []);
});

Deno.test("ThinkTagSplitter gives the same parts for every split of the content", () => {
  const content = " \n<think>\nplan A < B </thinking> </th\n</think>\n\nAnswer <b>x</b>";
  const expected = [thinking("plan A < B </thinking> </th"), text("Answer <b>x</b>")];
  deepStrictEqual(run([content]), expected);
  for (let i = 0; i <= content.length; i++) {
    for (let j = i; j <= content.length; j++) {
      deepStrictEqual(
        run([content.slice(0, i), content.slice(i, j), content.slice(j)]),
        expected,
        `split at ${i},${j}`,
      );
    }
  }
  deepStrictEqual(run([...content]), expected);
});

Deno.test("ThinkTagSplitter streams reasoning as it arrives, holding only a possible closing tag", () => {
  const splitter = new ThinkTagSplitter();
  deepStrictEqual(splitter.push("<think>"), []);
  deepStrictEqual(splitter.push("\nOkay"), [thinking("Okay")]);
  deepStrictEqual(splitter.push(", so\n"), [thinking(", so")]);
  deepStrictEqual(splitter.push("</th"), []);
  deepStrictEqual(splitter.push("x"), [thinking("\n</thx")]);
  deepStrictEqual(splitter.push(" done.</th"), [thinking(" done.")]);
  deepStrictEqual(splitter.push("ink>"), []);
  deepStrictEqual(splitter.push("\n\n"), []);
  deepStrictEqual(splitter.push("Hi"), [text("Hi")]);
  deepStrictEqual(splitter.push("</think>"), [text("</think>")]);
});

Deno.test("ThinkTagSplitter releases a held start as text on flush", () => {
  const splitter = new ThinkTagSplitter();
  deepStrictEqual(splitter.push("  <thi"), []);
  deepStrictEqual(splitter.flush(), [text("  <thi")]);
  // After a flush everything passes through.
  deepStrictEqual(splitter.push("<think>x</think>"), [text("<think>x</think>")]);
});

Deno.test("ThinkTagSplitter drops a whitespace-only answer and empty reasoning", () => {
  deepStrictEqual(run(["\n", "\n  "]), []);
  deepStrictEqual(run(["<think>\n\n</think>\n\n"]), []);
  deepStrictEqual(run(["<think>", "</think>", "ok"]), [text("ok")]);
});

Deno.test("ThinkTagSplitter keeps unterminated reasoning as thinking", () => {
  const splitter = new ThinkTagSplitter();
  deepStrictEqual(splitter.push("<think>Long"), [thinking("Long")]);
  deepStrictEqual(splitter.push(" thought </thi"), [thinking(" thought")]);
  deepStrictEqual(splitter.flush(), [thinking(" </thi")]);
  deepStrictEqual(splitter.push("more"), [text("more")]);
});

Deno.test("ThinkTagSplitter does not take a tag that merely starts like <think>", () => {
  deepStrictEqual(run(["<thinking>", "x"]), [text("<thinking>x")]);
  deepStrictEqual(run(["<", "b>bold</b>"]), [text("<b>bold</b>")]);
  deepStrictEqual(run(["<THINK>x</THINK>"]), [text("<THINK>x</THINK>")]);
});

Deno.test("splitThinkTags splits text parts of a whole message and merges neighbours", () => {
  deepStrictEqual(splitThinkTags([text("<think>a"), text("b</think>c"), text("d")]), [
    thinking("ab"),
    text("cd"),
  ]);
  deepStrictEqual(splitThinkTags([thinking("reasoning"), text("Answer")]), [
    thinking("reasoning"),
    text("Answer"),
  ]);
  deepStrictEqual(splitThinkTags([text("  ")]), []);
  deepStrictEqual(splitThinkTags([]), []);
});
