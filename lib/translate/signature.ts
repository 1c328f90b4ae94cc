/**
 * Signatures for thinking blocks the proxy makes. Claude clients store a thinking block's
 * signature and send it back verbatim; the `cp1.` prefix marks it as the proxy's own, so it is
 * never forwarded to a backend that did not issue it.
 * @module
 */

const PREFIX = "cp1.";

/** A proxy signature carrying an optional JSON payload (base64url). */
export function proxySignature(payload: Record<string, unknown> = {}): string {
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return PREFIX + btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Whether a signature was made by this proxy. */
export function isProxySignature(signature: string | null | undefined): boolean {
  return typeof signature === "string" && signature.startsWith(PREFIX);
}
