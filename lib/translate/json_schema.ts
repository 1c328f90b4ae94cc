/**
 * Cleans JSON Schemas for strict backends. Gemini's OpenAI-compatible endpoint rejects `$schema`,
 * `additionalProperties`, array-valued `type`, most `format`s, `default`, `$ref` and empty
 * `properties` ("Unknown name …", "Proto field is not repeating"); Claude Code sends all of these
 * (draft 2020-12). Local `$ref`s are inlined (a cycle, or a chain deeper than MAX_REF_DEPTH, ends
 * in a plain schema of the target's type), `const` becomes a one-value `enum`, and
 * `exclusiveMinimum`/`exclusiveMaximum` become `minimum`/`maximum` (one step inside for integers).
 * @module
 */

const DROPPED_KEYS = new Set([
  "$schema",
  "$id",
  "$anchor",
  "$comment",
  "$defs",
  "definitions",
  "additionalProperties",
  "unevaluatedProperties",
  "patternProperties",
  "propertyNames",
  "dependentSchemas",
  "dependentRequired",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "examples",
  "default",
  "const",
  "cache_control",
]);
const GEMINI_STRING_FORMATS = new Set(["enum", "date-time"]);
const SCHEMA_MAPS = new Set(["properties"]);
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);
/** How many `$ref`s deep one path may be inlined. */
export const MAX_REF_DEPTH = 8;
/** How many `$ref`s one schema may inline in all (shared definitions could multiply). */
export const MAX_REF_INLINES = 500;

type Schema = Record<string, unknown>;

/** The schema being cleaned and how many refs it has inlined so far. */
interface Context {
  root: unknown;
  inlined: number;
}

/** Returns a cleaned copy; the input is not modified. */
export function cleanJsonSchema(schema: unknown): unknown {
  return clean(schema, { root: schema, inlined: 0 }, []);
}

function clean(schema: unknown, context: Context, refs: string[]): unknown {
  if (Array.isArray(schema)) return schema.map((item) => clean(item, context, refs));
  if (typeof schema !== "object" || schema === null) return schema;
  const input = schema as Schema;
  if (typeof input.$ref === "string") return inlineRef(input, context, refs);
  const out: Schema = {};
  for (const [key, value] of Object.entries(input)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && value && typeof value === "object") {
      const entries = Object.entries(value as Schema);
      if (entries.length === 0) continue;
      out[key] = Object.fromEntries(
        entries.map(([name, sub]) => [name, clean(sub, context, refs)]),
      );
    } else if (key === "items" || SCHEMA_LISTS.has(key)) {
      out[key === "oneOf" ? "anyOf" : key] = clean(value, context, refs);
    } else if (key === "type" && Array.isArray(value)) {
      const types = value.filter((type) => type !== "null");
      out.type = types.length === 1 ? types[0] : types[0] ?? "string";
      if (types.length < value.length) out.nullable = true;
    } else if (key === "format" && !GEMINI_STRING_FORMATS.has(String(value))) {
      continue;
    } else {
      out[key] = value;
    }
  }
  // `const` has no Gemini equivalent but `enum` does.
  if ("const" in input && !("enum" in input)) out.enum = [input.const];
  exclusiveBound(input, out, "exclusiveMinimum", "minimum", 1);
  exclusiveBound(input, out, "exclusiveMaximum", "maximum", -1);
  return out;
}

/** Draft 6+ numeric exclusive bounds → inclusive ones (draft 4 booleans are just dropped). */
function exclusiveBound(
  input: Schema,
  out: Schema,
  key: "exclusiveMinimum" | "exclusiveMaximum",
  target: "minimum" | "maximum",
  step: 1 | -1,
): void {
  const bound = input[key];
  if (typeof bound !== "number") return;
  const value = input.type === "integer" && Number.isInteger(bound) ? bound + step : bound;
  const current = out[target];
  if (typeof current !== "number") out[target] = value;
  else out[target] = step === 1 ? Math.max(current, value) : Math.min(current, value);
}

/** Replaces a local `$ref` with its (cleaned) target; siblings of the `$ref` are kept. */
function inlineRef(input: Schema, context: Context, refs: string[]): unknown {
  const ref = input.$ref as string;
  const { $ref: _, ...siblings } = input;
  const target = resolvePointer(context.root, ref);
  let resolved: unknown;
  if (target === undefined) resolved = { type: "object" };
  else if (
    refs.includes(ref) || refs.length >= MAX_REF_DEPTH || ++context.inlined > MAX_REF_INLINES
  ) {
    // A recursive type: stop with a plain schema of the same type rather than loop forever.
    const type = (target as Schema).type;
    resolved = { type: Array.isArray(type) ? type.find((t) => t !== "null") : type ?? "object" };
  } else resolved = clean(target, context, [...refs, ref]);
  const rest = clean(siblings, context, refs) as Schema;
  return { ...(resolved as Schema), ...rest };
}

/** `#/$defs/Name` (any local JSON pointer) → the schema it names, or undefined. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  const parts = ref.slice(1).split("/").filter(Boolean).map((part) =>
    decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~")
  );
  let node: unknown = root;
  for (const part of parts) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Schema)[part];
  }
  return typeof node === "object" && node !== null ? node : undefined;
}
