/**
 * Tool names and ids that must survive a round trip without server-side state.
 * OpenAI-compatible backends require tool names matching `^[a-zA-Z0-9_-]{1,64}$`; Claude Code's
 * MCP tools (`mcp__server__tool`) often exceed that. Claude clients require tool ids matching
 * `^[a-zA-Z0-9_-]+$`; Kimi emits ids such as `functions.Bash:0`.
 * @module
 */

import { fromBase64Url, toBase64Url } from "./signature.ts";

const VALID_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const VALID_ID = /^[a-zA-Z0-9_-]+$/;
const ENCODED_ID_PREFIX = "toolu_cp_";
// Both encodings start with this; upstream ids that do are encoded so they cannot be misread.
const PROXY_ID_PREFIX = "toolu_cp";
// An id that also carries a Gemini thought signature: base64url(JSON {i: id, s: signature}).
const SIGNED_ID_PREFIX = "toolu_cpg_";

/** FNV-1a, 32 bit: a cheap, synchronous, deterministic fingerprint for names. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** The name sent upstream: unchanged when valid, else sanitized, cut and fingerprinted. */
export function upstreamToolName(name: string): string {
  if (VALID_NAME.test(name)) return name;
  return `${name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 55)}_${fingerprint(name)}`;
}

/** Builds upstream name → original name for the tools of one request (the response maps back). */
export function toolNameTable(names: Iterable<string>): Map<string, string> {
  const table = new Map<string, string>();
  for (const name of names) {
    const upstream = upstreamToolName(name);
    if (upstream !== name) table.set(upstream, name);
  }
  return table;
}

/**
 * A tool id Claude clients accept: upstream ids kept when valid, else encoded reversibly. A Gemini
 * thought signature rides along inside the id (clients send tool ids back verbatim), so the next
 * request can return it with the call (decodeToolId).
 */
export function clientToolId(
  upstreamId: string | null | undefined,
  thoughtSignature?: string,
): string {
  if (thoughtSignature) {
    const id = upstreamId || `toolu_${randomId(24)}`;
    return SIGNED_ID_PREFIX + toBase64Url(JSON.stringify({ i: id, s: thoughtSignature }));
  }
  if (!upstreamId) return `toolu_${randomId(24)}`;
  // An id that already looks encoded is encoded too, or upstreamToolId would "decode" it.
  if (VALID_ID.test(upstreamId) && !upstreamId.startsWith(PROXY_ID_PREFIX)) return upstreamId;
  let hex = "";
  for (const byte of new TextEncoder().encode(upstreamId)) {
    hex += byte.toString(16).padStart(2, "0");
  }
  return ENCODED_ID_PREFIX + hex;
}

const REPEATED_ID = /^toolu_cpr_\d+_((?:[0-9a-f]{2})+)$/;

/**
 * A client id for an upstream id the same response already used (Kimi repeats ids): unique in
 * the response for the client, and decoding to the same upstream id on the next request.
 */
export function repeatedToolId(upstreamId: string, occurrence: number): string {
  return `toolu_cpr_${occurrence}_${hexOf(upstreamId)}`;
}

function hexOf(text: string): string {
  let hex = "";
  for (const byte of new TextEncoder().encode(text)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** The upstream id and thought signature a client tool id carries (see clientToolId). */
export function decodeToolId(clientId: string): { id: string; thoughtSignature?: string } {
  if (clientId.startsWith(SIGNED_ID_PREFIX)) {
    const text = fromBase64Url(clientId.slice(SIGNED_ID_PREFIX.length));
    try {
      const value = text === undefined ? undefined : JSON.parse(text);
      if (typeof value?.i === "string" && value.i && typeof value.s === "string" && value.s) {
        return { id: value.i, thoughtSignature: value.s };
      }
    } catch {
      // Not one of ours: the id is kept as it is.
    }
    return { id: clientId };
  }
  return { id: upstreamToolId(clientId) };
}

/** Reverses clientToolId's encoding so the backend gets back the exact id it issued. */
export function upstreamToolId(clientId: string): string {
  if (clientId.startsWith(SIGNED_ID_PREFIX)) return decodeToolId(clientId).id;
  const repeated = REPEATED_ID.exec(clientId);
  if (repeated) {
    const hex = repeated[1];
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return new TextDecoder().decode(bytes);
  }
  if (!clientId.startsWith(ENCODED_ID_PREFIX)) return clientId;
  const hex = clientId.slice(ENCODED_ID_PREFIX.length);
  if (hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) return clientId;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const decoded = new TextDecoder().decode(bytes);
  // Only ids clientToolId made are decoded (not invalid UTF-8, not a valid id it would keep).
  return clientToolId(decoded) === clientId ? decoded : clientId;
}

const ALPHABET = new TextEncoder().encode(
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
);

/** Random base62 text, for message and tool ids. */
export function randomId(length: number): string {
  // One string built from char codes: a few times cheaper than appending character by character
  // in code that runs a couple of times per request (and so is rarely optimized).
  const codes = crypto.getRandomValues(new Uint8Array(length));
  for (let i = 0; i < length; i++) codes[i] = ALPHABET[codes[i] % 62];
  return String.fromCharCode.apply(null, codes as unknown as number[]);
}
