/** The node:net connect probe against real loopback sockets. */
import assert from "node:assert/strict";
import { tcpConnectProbe } from "../lib/runtime/connect_probe.ts";

Deno.test("tcpConnectProbe resolves for a listening port and rejects a closed one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted = listener.accept().then((connection) => connection.close());
  await tcpConnectProbe("127.0.0.1", port, 1000);
  await accepted;
  listener.close();
  await assert.rejects(tcpConnectProbe("127.0.0.1", port, 1000));
});
