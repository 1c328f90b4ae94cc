/** Stateless, reversible tool names and ids (protocol.md D.9). */
import assert from "node:assert/strict";
import {
  clientToolId,
  fingerprint,
  randomId,
  toolNameTable,
  upstreamToolId,
  upstreamToolName,
} from "../lib/translate/tool_names.ts";

Deno.test("fingerprint is 32-bit FNV-1a as 8 hex digits", () => {
  assert.equal(fingerprint(""), "811c9dc5");
  assert.equal(fingerprint("a"), "e40c292c");
  assert.equal(fingerprint("foobar"), "bf9cf968");
});

Deno.test("upstreamToolName keeps valid names unchanged", () => {
  for (const name of ["Bash", "mcp__github__create_pull_request", "a-b_C9", "x".repeat(64)]) {
    assert.equal(upstreamToolName(name), name);
  }
});

Deno.test("upstreamToolName shortens names over 64 characters", () => {
  const long = "y".repeat(65);
  const short = upstreamToolName(long);
  assert.equal(short, `${"y".repeat(55)}_${fingerprint(long)}`);
  assert.equal(short.length, 64);
  assert.equal(upstreamToolName(long), short);
  assert.notEqual(upstreamToolName(`${long}z`), short);
});

Deno.test("upstreamToolName replaces invalid characters and keeps names distinct", () => {
  assert.equal(upstreamToolName("mcp__my.server__tool"), "mcp__my_server__tool_23e850a8");
  assert.match(upstreamToolName("weird name/with:chars"), /^weird_name_with_chars_[0-9a-f]{8}$/);
  assert.match(upstreamToolName(""), /^_811c9dc5$/);
  // Two names that sanitize alike still differ upstream.
  assert.notEqual(upstreamToolName("a.b"), upstreamToolName("a:b"));
  for (const name of ["a.b", "ünïcode", "x".repeat(300)]) {
    assert.match(upstreamToolName(name), /^[a-zA-Z0-9_-]{1,64}$/);
  }
});

Deno.test("toolNameTable maps only changed names back to the originals", () => {
  const dotted = "mcp__my.server__tool";
  const long = `mcp__${"z".repeat(70)}`;
  assert.deepStrictEqual(
    toolNameTable(["Bash", dotted, long]),
    new Map([[upstreamToolName(dotted), dotted], [upstreamToolName(long), long]]),
  );
  assert.deepStrictEqual(toolNameTable([]), new Map());
});

Deno.test("clientToolId keeps valid upstream ids", () => {
  for (const id of ["call_abc123", "toolu_01A09q90qw90lq917835lq9", "9f-x_Y"]) {
    assert.equal(clientToolId(id), id);
  }
});

Deno.test("clientToolId encodes invalid ids as toolu_cp_ hex and upstreamToolId decodes them", () => {
  assert.equal(clientToolId("functions.Bash:0"), "toolu_cp_66756e6374696f6e732e426173683a30");
  for (const id of ["functions.Bash:0", "call 1", "ツール/1", "a.b.c"]) {
    const encoded = clientToolId(id);
    assert.match(encoded, /^toolu_cp_[0-9a-f]+$/);
    assert.equal(upstreamToolId(encoded), id);
  }
});

Deno.test("clientToolId encodes ids that already look encoded so they round-trip", () => {
  for (const id of ["toolu_cp_41", "toolu_cp_", "toolu_cp_zz"]) {
    const encoded = clientToolId(id);
    assert.notEqual(encoded, id);
    assert.equal(upstreamToolId(encoded), id);
  }
});

Deno.test("clientToolId makes a fresh toolu_ id when the upstream id is missing", () => {
  for (const missing of [undefined, null, ""]) {
    assert.match(clientToolId(missing), /^toolu_[0-9A-Za-z]{24}$/);
  }
  assert.notEqual(clientToolId(null), clientToolId(null));
});

Deno.test("upstreamToolId leaves ids it did not encode unchanged", () => {
  for (
    const id of [
      "toolu_01A09q90qw90lq917835lq9",
      "call_1",
      "toolu_cp_",
      "toolu_cp_abc",
      "toolu_cp_ZZ",
      "toolu_cp_ff",
      "toolu_cp_616263",
    ]
  ) {
    assert.equal(upstreamToolId(id), id);
  }
});

Deno.test("randomId makes base62 text of the asked length", () => {
  assert.match(randomId(24), /^[0-9A-Za-z]{24}$/);
  assert.equal(randomId(0), "");
  assert.notEqual(randomId(24), randomId(24));
});
