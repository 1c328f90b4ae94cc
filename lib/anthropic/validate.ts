/**
 * Reading a client's JSON body through a zod schema, with a 400 that names the field.
 * @module
 */
import type { z } from "zod";
import { invalidRequest, ProxyError } from "../errors.ts";

/**
 * Reads the body as JSON, refusing more than `limit` bytes without reading the rest (413), and
 * answering bad JSON with a 400 that says what is wrong.
 */
export async function readJson(request: Request, limit = Infinity): Promise<unknown> {
  return (await readJsonText(request, limit)).value;
}

/** readJson, keeping the text too (a pass-through relays it with only the model changed). */
export async function readJsonText(
  request: Request,
  limit = Infinity,
): Promise<{ text: string; value: unknown }> {
  let text: string;
  try {
    text = await readText(request, limit);
  } catch (error) {
    if (error instanceof ProxyError) throw error;
    // The client went away while sending its body (not a bug of ours: no "unexpected error").
    throw new ProxyError(499, "api_error", "The client closed the request while sending it", {
      cause: error,
    });
  }
  if (text.trim() === "") throw invalidRequest("Request body is empty: send a JSON object");
  try {
    return { text, value: JSON.parse(text) };
  } catch (error) {
    throw invalidRequest(
      `Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function tooLarge(limit: number): ProxyError {
  return new ProxyError(
    413,
    "request_too_large",
    `Request body is larger than ${limit / 1024 / 1024} MiB (--max-body-size)`,
  );
}

async function readText(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) {
    request.body?.cancel().catch(() => {});
    throw tooLarge(limit);
  }
  if (!request.body || (declared && declared <= limit)) return await request.text();
  // No (trustworthy) length: count while reading and stop at the limit.
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** Validates with a schema; the first problem becomes a 400 naming its field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidRequest("Request body must be a JSON object");
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw describeIssue(result.error.issues[0]);
}

type Issue = z.core.$ZodIssue;

/** The most specific problem: within a union, the branch that got furthest. */
function deepest(issue: Issue): Issue {
  if (issue.code !== "invalid_union" || !issue.errors.length) return issue;
  let best: Issue = issue;
  let depth = -1;
  for (const branch of issue.errors) {
    for (const inner of branch) {
      const candidate = deepest(inner);
      if (candidate.path.length > depth) {
        depth = candidate.path.length;
        best = { ...candidate, path: [...issue.path, ...candidate.path] } as Issue;
      }
    }
  }
  return best;
}

function describeIssue(raw: Issue): ProxyError {
  const issue = deepest(raw);
  const path = issue.path.map(String).join(".") || "body";
  if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) {
    return invalidRequest(`${path}: Field required`);
  }
  return invalidRequest(`${path}: ${issue.message}`);
}
