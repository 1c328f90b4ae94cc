/**
 * Signatures for thinking blocks the proxy makes. Claude clients store a thinking block's
 * signature and send it back verbatim; the `cp1.` prefix marks it as the proxy's own, so it is
 * never forwarded to a backend that did not issue it.
 * @module
 */

const PREFIX = "cp1.";

/** base64url of UTF-8 text, without padding. */
export function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Reverses toBase64Url; undefined for text that is not base64url of valid UTF-8. */
export function fromBase64Url(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return undefined;
  try {
    const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A proxy signature carrying an optional JSON payload (base64url). */
export function proxySignature(payload: Record<string, unknown> = {}): string {
  return PREFIX + toBase64Url(JSON.stringify(payload));
}

/** Whether a signature was made by this proxy. */
export function isProxySignature(signature: string | null | undefined): boolean {
  return typeof signature === "string" && signature.startsWith(PREFIX);
}

/** The payload of a proxy signature; undefined for any other signature or a damaged one. */
export function readProxySignature(
  signature: string | null | undefined,
): Record<string, unknown> | undefined {
  if (!isProxySignature(signature)) return undefined;
  const text = fromBase64Url(signature!.slice(PREFIX.length));
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
