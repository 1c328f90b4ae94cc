/**
 * Cleans JSON Schemas for strict backends. Gemini's OpenAI-compatible endpoint rejects `$schema`,
 * `additionalProperties`, array-valued `type`, most `format`s and empty `properties` ("Unknown
 * name …", "Proto field is not repeating"); Claude Code sends all of these.
 * @module
 */

const DROPPED_KEYS = new Set([
  "$schema",
  "$id",
  "$comment",
  "additionalProperties",
  "unevaluatedProperties",
  "patternProperties",
  "propertyNames",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "examples",
  "const",
]);
const GEMINI_STRING_FORMATS = new Set(["enum", "date-time"]);
const SCHEMA_MAPS = new Set(["properties", "$defs", "definitions"]);
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);

/** Returns a cleaned copy; the input is not modified. */
export function cleanJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(cleanJsonSchema);
  if (typeof schema !== "object" || schema === null) return schema;
  const input = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && value && typeof value === "object") {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[key] = Object.fromEntries(entries.map(([name, sub]) => [name, cleanJsonSchema(sub)]));
    } else if (key === "items" || SCHEMA_LISTS.has(key)) {
      out[key === "oneOf" ? "anyOf" : key] = cleanJsonSchema(value);
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
  return out;
}
