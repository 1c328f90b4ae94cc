/**
 * Tool-call arguments as backends really send them → one JSON object text Claude clients accept.
 * Handles objects instead of strings, double-encoded strings, code fences, trailing commas and
 * truncated brackets; anything still ambiguous is reported instead of passed on, because Claude
 * Code answers a bad input with "Invalid tool parameters" and the turn is lost.
 * @module
 */

/** The result: a JSON object text, or why none could be made. */
export type ArgumentsResult = { ok: true; json: string } | { ok: false; reason: string };

/** Normalizes accumulated arguments (string fragments joined, or an object) to a JSON object text. */
export function finalizeArguments(raw: unknown): ArgumentsResult {
  if (raw === undefined || raw === null) return { ok: true, json: "{}" };
  if (typeof raw === "object") return objectText(raw);
  if (typeof raw !== "string") return objectText(raw);
  const text = stripFences(raw.trim());
  if (text === "") return { ok: true, json: "{}" };
  const parsed = tryParse(text) ?? repaired(repair(text));
  if (parsed === undefined) {
    return { ok: false, reason: `arguments are not valid JSON: ${snippet(text)}` };
  }
  // Double-encoded: the JSON value is itself a string holding the object.
  if (typeof parsed.value === "string") {
    const inner = tryParse(parsed.value.trim());
    if (inner !== undefined && isPlainObject(inner.value)) return { ok: true, json: parsed.value };
  }
  return parsed.repaired || !isPlainObject(parsed.value)
    ? objectText(parsed.value)
    : { ok: true, json: text };
}

function objectText(value: unknown): ArgumentsResult {
  if (isPlainObject(value)) return { ok: true, json: JSON.stringify(value) };
  return {
    ok: false,
    reason: `arguments are not a JSON object: ${snippet(JSON.stringify(value))}`,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function tryParse(text: string | undefined): { value: unknown; repaired: boolean } | undefined {
  if (text === undefined) return undefined;
  try {
    return { value: JSON.parse(text), repaired: false };
  } catch {
    return undefined;
  }
}

function repaired(text: string | undefined): { value: unknown; repaired: boolean } | undefined {
  const parsed = tryParse(text);
  return parsed && { value: parsed.value, repaired: true };
}

function stripFences(text: string): string {
  const fenced = /^```[a-zA-Z]*\s*\n?([\s\S]*?)\n?```$/.exec(text);
  return fenced ? fenced[1].trim() : text;
}

/**
 * Repairs only the unambiguous cases: trailing commas before a closing bracket, and closing
 * brackets missing after a complete value. A text cut inside a string, after a comma or after a
 * key is refused: completing it would invent input (a truncated shell command must not run).
 */
function repair(text: string): string | undefined {
  if (!text.startsWith("{")) return undefined;
  let out = "";
  const stack: string[] = [];
  let inString = false;
  let escaped = false;
  for (const char of text) {
    if (inString) {
      out += char;
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{") stack.push("}");
    else if (char === "[") stack.push("]");
    else if (char === "}" || char === "]") {
      if (stack.pop() !== char) return undefined;
      out = out.replace(/,\s*$/, "");
    }
    out += char;
  }
  if (inString || stack.length === 0 && out === text) return undefined;
  // The text must end with a complete value (a number may have been cut: 120000 → 12), and a
  // string at the end of an object must be a value.
  if (!/("|true|false|null|[}\]])\s*$/.test(out)) return undefined;
  if (stack.at(-1) === "}" && /[{,]\s*"(?:[^"\\]|\\.)*"\s*$/.test(out)) return undefined;
  return out + stack.reverse().join("");
}

function snippet(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
