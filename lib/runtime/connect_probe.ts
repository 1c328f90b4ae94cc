/**
 * A TCP connect check for --connect-timeout, built on node:net (Deno and Bun both provide it).
 * fetch() has no connect timeout on either runtime; the upstream module calls this only when a
 * backend has not answered within half the connect budget.
 * @module
 */
import { connect } from "node:net";

/** Resolves once a TCP connection to host:port opens; rejects on error or after timeoutMs. */
export function tcpConnectProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ""), port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to ${host}:${port} after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}
