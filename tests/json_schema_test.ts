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
      count: { type: "integer", minimum: 1, maximum: 9 },
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

Deno.test("cleanJsonSchema inlines $ref to $defs and definitions and drops the tables", () => {
  assert.deepStrictEqual(
    cleanJsonSchema({
      type: "object",
      $defs: { Item: { type: "object", additionalProperties: false, properties: { a: {} } } },
      definitions: { Name: { type: "string", default: "x" } },
      properties: {
        item: { $ref: "#/$defs/Item", description: "one item" },
        items: { type: "array", items: { $ref: "#/$defs/Item" } },
        name: { $ref: "#/definitions/Name" },
        missing: { $ref: "#/$defs/Nope" },
      },
    }),
    {
      type: "object",
      properties: {
        item: { type: "object", properties: { a: {} }, description: "one item" },
        items: { type: "array", items: { type: "object", properties: { a: {} } } },
        name: { type: "string" },
        missing: { type: "object" },
      },
    },
  );
});

Deno.test("cleanJsonSchema stops at cyclic and very deep $refs", () => {
  const tree = {
    type: "object",
    properties: { node: { $ref: "#/$defs/Node" } },
    $defs: {
      Node: {
        type: "object",
        properties: {
          name: { type: "string" },
          children: { type: "array", items: { $ref: "#/$defs/Node" } },
        },
      },
    },
  };
  assert.deepStrictEqual(cleanJsonSchema(tree), {
    type: "object",
    properties: {
      node: {
        type: "object",
        properties: {
          name: { type: "string" },
          children: { type: "array", items: { type: "object" } },
        },
      },
    },
  });
  // The root itself, and a chain longer than MAX_REF_DEPTH, terminate too.
  const self = { type: "object", properties: { again: { $ref: "#" } } };
  assert.deepStrictEqual(cleanJsonSchema(self), {
    type: "object",
    properties: { again: { type: "object", properties: { again: { type: "object" } } } },
  });
  const defs: Record<string, unknown> = {};
  for (let i = 0; i < 20; i++) {
    defs[`D${i}`] = { type: ["object", "null"], properties: { n: { $ref: `#/$defs/D${i + 1}` } } };
  }
  defs.D20 = { type: "string" };
  const deep = JSON.stringify(cleanJsonSchema({ $ref: "#/$defs/D0", $defs: defs }));
  assert.ok(!deep.includes("$ref"));
  assert.ok(deep.length < 2000);
});

Deno.test("cleanJsonSchema bounds the total size when shared definitions multiply", () => {
  // Each level refers to the next ten times: 10^8 copies if every ref were inlined.
  const defs: Record<string, unknown> = {};
  for (let i = 0; i < 9; i++) {
    const properties: Record<string, unknown> = {};
    for (let j = 0; j < 10; j++) properties[`p${j}`] = { $ref: `#/$defs/L${i + 1}` };
    defs[`L${i}`] = { type: "object", properties };
  }
  defs.L9 = { type: "string" };
  const started = performance.now();
  const out = JSON.stringify(cleanJsonSchema({ $ref: "#/$defs/L0", $defs: defs }));
  assert.ok(performance.now() - started < 2000);
  assert.ok(!out.includes("$ref"));
  assert.ok(out.length < 200_000, `${out.length} characters`);
});

Deno.test("cleanJsonSchema drops default and turns exclusive bounds into inclusive ones", () => {
  assert.deepStrictEqual(
    cleanJsonSchema({
      type: "object",
      properties: {
        timeout: { type: "number", exclusiveMinimum: 0, default: 120000 },
        count: { type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 100 },
        ratio: { type: "number", exclusiveMaximum: 1, maximum: 0.5 },
        // Draft 4 booleans: the plain bound stays.
        old: { type: "number", minimum: 0, exclusiveMinimum: true },
        default: { type: "string" },
      },
    }),
    {
      type: "object",
      properties: {
        timeout: { type: "number", minimum: 0 },
        count: { type: "integer", minimum: 1, maximum: 99 },
        ratio: { type: "number", maximum: 0.5 },
        old: { type: "number", minimum: 0 },
        default: { type: "string" },
      },
    },
  );
});

Deno.test("cleanJsonSchema leaves Claude Code's real tool set without any keyword Gemini rejects", () => {
  const request = JSON.parse(
    Deno.readTextFileSync(
      new URL("./fixtures/anthropic/claude_code_request.json", import.meta.url),
    ),
  );
  const rejected = new Set([
    "$schema",
    "$ref",
    "$defs",
    "definitions",
    "additionalProperties",
    "default",
    "examples",
    "const",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "cache_control",
  ]);
  const check = (schema: unknown, path: string): void => {
    if (Array.isArray(schema)) return schema.forEach((item, i) => check(item, `${path}/${i}`));
    if (typeof schema !== "object" || schema === null) return;
    for (const [key, value] of Object.entries(schema)) {
      if (key === "properties") {
        const entries = Object.entries(value as Record<string, unknown>);
        assert.ok(entries.length > 0, `${path}: empty properties`);
        for (const [name, sub] of entries) check(sub, `${path}/properties/${name}`);
        continue;
      }
      assert.ok(!rejected.has(key), `${path}: ${key}`);
      if (key === "type") assert.equal(typeof value, "string", `${path}: type ${value}`);
      if (key === "format") assert.ok(["enum", "date-time"].includes(String(value)), path);
      check(value, `${path}/${key}`);
    }
  };
  assert.ok(request.tools.length >= 10);
  for (const tool of request.tools) {
    if (tool.input_schema) check(cleanJsonSchema(tool.input_schema), tool.name);
  }
  // The fixture does use what gets removed (so the check above proves something).
  const raw = JSON.stringify(request.tools);
  for (const key of ["$schema", "additionalProperties", "default"]) {
    assert.ok(raw.includes(`"${key}"`));
  }
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
