/** cleanJsonSchema: tool schemas made acceptable to Gemini's OpenAI-compatible endpoint. */
import assert from "node:assert/strict";
import { cleanJsonSchema } from "../lib/translate/json_schema.ts";

Deno.test("cleanJsonSchema strips keywords Gemini rejects at every depth", () => {
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "urn:x",
    $comment: "c",
    type: "object",
    additionalProperties: false,
    properties: {
      todos: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          unevaluatedProperties: false,
          properties: { status: { type: "string", enum: ["pending", "done"], examples: ["x"] } },
          required: ["status"],
        },
      },
      count: { type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 10, minimum: 1 },
      tags: { type: "object", patternProperties: { "^x": {} }, propertyNames: { pattern: "a" } },
    },
    required: ["todos"],
  };
  assert.deepStrictEqual(cleanJsonSchema(schema), {
    type: "object",
    properties: {
      todos: {
        type: "array",
        items: {
          type: "object",
          properties: { status: { type: "string", enum: ["pending", "done"] } },
          required: ["status"],
        },
      },
      count: { type: "integer", minimum: 1 },
      tags: { type: "object" },
    },
    required: ["todos"],
  });
});

Deno.test("cleanJsonSchema keeps properties named like dropped keywords", () => {
  const schema = {
    type: "object",
    properties: {
      format: { type: "string" },
      const: { type: "number" },
      additionalProperties: { type: "boolean" },
    },
  };
  assert.deepStrictEqual(cleanJsonSchema(schema), schema);
});

Deno.test("cleanJsonSchema turns array types into one type plus nullable", () => {
  assert.deepStrictEqual(cleanJsonSchema({ type: ["string", "null"] }), {
    type: "string",
    nullable: true,
  });
  assert.deepStrictEqual(cleanJsonSchema({ type: ["integer"] }), { type: "integer" });
  assert.deepStrictEqual(cleanJsonSchema({ type: ["string", "number"] }), { type: "string" });
  assert.deepStrictEqual(cleanJsonSchema({ type: ["null"] }), { type: "string", nullable: true });
});

Deno.test("cleanJsonSchema drops empty properties maps", () => {
  assert.deepStrictEqual(cleanJsonSchema({ type: "object", properties: {} }), { type: "object" });
  assert.deepStrictEqual(
    cleanJsonSchema({ type: "object", properties: { o: { type: "object", properties: {} } } }),
    { type: "object", properties: { o: { type: "object" } } },
  );
});

Deno.test("cleanJsonSchema keeps only the string formats Gemini knows", () => {
  assert.deepStrictEqual(cleanJsonSchema({ type: "string", format: "uri" }), { type: "string" });
  assert.deepStrictEqual(cleanJsonSchema({ type: "string", format: "email" }), { type: "string" });
  assert.deepStrictEqual(cleanJsonSchema({ type: "string", format: "date-time" }), {
    type: "string",
    format: "date-time",
  });
  assert.deepStrictEqual(cleanJsonSchema({ type: "string", format: "enum", enum: ["a"] }), {
    type: "string",
    format: "enum",
    enum: ["a"],
  });
});

Deno.test("cleanJsonSchema maps oneOf to anyOf and cleans union branches", () => {
  assert.deepStrictEqual(
    cleanJsonSchema({
      oneOf: [{ type: "string", format: "uri" }, { type: "object", additionalProperties: false }],
      allOf: [{ $comment: "x", type: "object" }],
    }),
    { anyOf: [{ type: "string" }, { type: "object" }], allOf: [{ type: "object" }] },
  );
  assert.deepStrictEqual(
    cleanJsonSchema({ type: "array", prefixItems: [{ type: ["number", "null"] }] }),
    { type: "array", prefixItems: [{ type: "number", nullable: true }] },
  );
});

Deno.test("cleanJsonSchema turns const into enum", () => {
  assert.deepStrictEqual(cleanJsonSchema({ type: "string", const: "fixed" }), {
    type: "string",
    enum: ["fixed"],
  });
  assert.deepStrictEqual(cleanJsonSchema({ const: "a", enum: ["a", "b"] }), { enum: ["a", "b"] });
});

Deno.test("cleanJsonSchema cleans $defs and definitions entries", () => {
  assert.deepStrictEqual(
    cleanJsonSchema({
      $defs: { Item: { type: "object", additionalProperties: false, properties: { a: {} } } },
      definitions: {},
    }),
    { $defs: { Item: { type: "object", properties: { a: {} } } } },
  );
});

Deno.test("cleanJsonSchema does not modify its input and passes non-objects through", () => {
  const schema = {
    $schema: "s",
    type: "object",
    properties: { a: { type: ["string", "null"], format: "uri" } },
  };
  const before = structuredClone(schema);
  cleanJsonSchema(schema);
  assert.deepStrictEqual(schema, before);
  assert.equal(cleanJsonSchema(true), true);
  assert.equal(cleanJsonSchema(null), null);
  assert.equal(cleanJsonSchema("x"), "x");
});
