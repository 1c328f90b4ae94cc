/**
 * finalizeArguments: tool-call arguments as backends really send them → one JSON object text.
 * Unambiguous damage is repaired; anything that would invent or alter input is refused.
 */
import assert from "node:assert/strict";
import { finalizeArguments } from "../lib/translate/tool_arguments.ts";

const ok = (json: string) => ({ ok: true, json });

function refused(raw: unknown, reason: RegExp) {
  const result = finalizeArguments(raw);
  assert.equal(result.ok, false, `accepted ${JSON.stringify(raw)}: ${JSON.stringify(result)}`);
  if (!result.ok) assert.match(result.reason, reason);
}

Deno.test("finalizeArguments keeps a valid JSON object text byte for byte", () => {
  const text = '{"command": "ls -la",\n "timeout": 120000}';
  assert.deepStrictEqual(finalizeArguments(text), ok(text));
  assert.deepStrictEqual(finalizeArguments('  {"a":1}\n'), ok('{"a":1}'));
  assert.deepStrictEqual(
    finalizeArguments('{"nested":{"x":[1,{"y":null}]}}'),
    ok('{"nested":{"x":[1,{"y":null}]}}'),
  );
});

Deno.test("finalizeArguments turns missing or empty arguments into {}", () => {
  for (const raw of [undefined, null, "", "   ", "\n"]) {
    assert.deepStrictEqual(finalizeArguments(raw), ok("{}"));
  }
});

Deno.test("finalizeArguments stringifies arguments sent as an object", () => {
  assert.deepStrictEqual(
    finalizeArguments({ command: "ls", flags: ["-l"] }),
    ok('{"command":"ls","flags":["-l"]}'),
  );
  assert.deepStrictEqual(finalizeArguments({}), ok("{}"));
});

Deno.test("finalizeArguments unwraps double-encoded arguments", () => {
  const inner = '{"command":"echo \\"hi\\""}';
  assert.deepStrictEqual(finalizeArguments(JSON.stringify(inner)), ok(inner));
  // A double-encoded string that does not hold an object is not unwrapped.
  assert.deepStrictEqual(finalizeArguments(JSON.stringify("ls")).ok, false);
});

Deno.test("finalizeArguments strips code fences", () => {
  assert.deepStrictEqual(
    finalizeArguments('```json\n{"path":"a.txt"}\n```'),
    ok('{"path":"a.txt"}'),
  );
  assert.deepStrictEqual(finalizeArguments('```\n{"path":"a.txt"}\n```'), ok('{"path":"a.txt"}'));
  assert.deepStrictEqual(finalizeArguments('```json {"a":1}```'), ok('{"a":1}'));
});

Deno.test("finalizeArguments removes trailing commas", () => {
  assert.deepStrictEqual(finalizeArguments('{"a":1,}'), ok('{"a":1}'));
  assert.deepStrictEqual(finalizeArguments('{"a":[1,2,],\n}'), ok('{"a":[1,2]}'));
  // A comma inside a string is content, not damage.
  assert.deepStrictEqual(finalizeArguments('{"a":"x,}",}'), ok('{"a":"x,}"}'));
});

Deno.test("finalizeArguments closes brackets missing after a complete value", () => {
  assert.deepStrictEqual(finalizeArguments('{"a":{"b":"c"'), ok('{"a":{"b":"c"}}'));
  assert.deepStrictEqual(finalizeArguments('{"path":"a.txt"'), ok('{"path":"a.txt"}'));
  assert.deepStrictEqual(finalizeArguments('{"a":["x","y"'), ok('{"a":["x","y"]}'));
  assert.deepStrictEqual(finalizeArguments('{"a":true'), ok('{"a":true}'));
  assert.deepStrictEqual(finalizeArguments('{"a":{"b":null}'), ok('{"a":{"b":null}}'));
  assert.deepStrictEqual(finalizeArguments('{"a":"}{]["'), ok('{"a":"}{]["}'));
  assert.deepStrictEqual(finalizeArguments('{"a":"say \\"hi\\""'), ok('{"a":"say \\"hi\\""}'));
});

Deno.test("finalizeArguments refuses a truncated string instead of running it", () => {
  refused('{"command":"rm -rf /tmp/build', /not valid JSON/);
  refused('{"command":"echo \\"', /not valid JSON/);
  refused('{"content":"line 1\\nline', /not valid JSON/);
  refused('{"a":["x","y', /not valid JSON/);
});

Deno.test("finalizeArguments refuses a dangling key, colon or comma", () => {
  refused('{"command":"ls","timeout"', /not valid JSON/);
  refused('{"command"', /not valid JSON/);
  refused('{"command":', /not valid JSON/);
  refused('{"command":"ls",', /not valid JSON/);
  refused('{"a":1,"b":tr', /not valid JSON/);
  refused("{", /not valid JSON/);
});

Deno.test("finalizeArguments refuses a number that may have been cut", () => {
  // 120000 cut to 12 would change the input, like a cut string.
  refused('{"command":"make","timeout":12', /not valid JSON/);
  refused('{"a":[1,2', /not valid JSON/);
  refused('{"a":-', /not valid JSON/);
});

Deno.test("finalizeArguments refuses mismatched or extra brackets and non-JSON", () => {
  refused('{"a":1}}', /not valid JSON/);
  refused('{"a":[1}', /not valid JSON/);
  refused("command=ls", /not valid JSON/);
  refused("'{\"a\":1}'", /not valid JSON/);
});

Deno.test("finalizeArguments refuses JSON that is not an object", () => {
  refused("[1,2]", /not a JSON object: \[1,2\]/);
  refused('"ls -la"', /not a JSON object: "ls -la"/);
  refused("42", /not a JSON object: 42/);
  refused("null", /not a JSON object: null/);
  refused([1], /not a JSON object/);
  refused(7, /not a JSON object: 7/);
  refused(JSON.stringify("[1]"), /not a JSON object/);
});

Deno.test("finalizeArguments shortens long text in its reason", () => {
  const result = finalizeArguments(`{"command":"${"x".repeat(500)}`);
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.ok(result.reason.endsWith("…"));
    assert.ok(result.reason.length < 200);
  }
});
