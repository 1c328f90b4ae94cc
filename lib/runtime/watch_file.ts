/**
 * Calls back when a file's content changes, by polling its modification time and size (works
 * the same under Deno, Bun and Node, and on every file system, unlike fs.watch).
 * @module
 */
import { statSync } from "node:fs";

/** Starts polling; returns a function that stops it. */
export function watchFile(path: string, onChange: () => void, intervalMs = 1000): () => void {
  const stamp = () => {
    try {
      const stat = statSync(path);
      return `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return "missing";
    }
  };
  let last = stamp();
  const timer = setInterval(() => {
    const now = stamp();
    if (now === last) return;
    last = now;
    // A file being replaced is briefly missing: wait for it to come back.
    if (now !== "missing") onChange();
  }, intervalMs);
  // Do not keep the process alive for this alone.
  (timer as unknown as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
