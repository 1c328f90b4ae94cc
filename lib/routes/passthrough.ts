/**
 * Same-dialect pass-through: the client and the backend speak the same API, so the request body
 * goes upstream with only its `model` mapped, and the answer (JSON or stream) is relayed byte for
 * byte. Keys are injected per the backend's dialect (upstream.ts).
 * @module
 */
import { ProxyError } from "../errors.ts";
import { type Hop, postHop } from "../route_chain.ts";
import type { Context } from "./context.ts";

/** One relayed exchange. */
export interface PassThrough {
  url: string;
  apiKey: string | undefined;
  dialect: "openai" | "anthropic";
  /** The client's JSON body; only `model` is replaced. */
  body: Record<string, unknown>;
  model: string;
  headers?: Record<string, string>;
}

/** Posts the body upstream and relays the answer unchanged. */
export async function passThrough(
  request: Request,
  context: Context,
  hop: Hop,
  call: PassThrough,
): Promise<Response> {
  const { logger, log } = context;
  const upstreamBody = JSON.stringify({ ...call.body, model: call.model });
  if (logger.enabled("debug")) logger.log("debug", `upstream request: ${upstreamBody}`);
  const upstream = await postHop(context, hop, {
    url: call.url,
    apiKey: call.apiKey,
    body: upstreamBody,
    signal: request.signal,
    dialect: call.dialect,
    headers: call.headers,
  });
  const response = upstream.response;
  const headers = new Headers();
  for (const name of ["content-type", "cache-control"]) {
    const value = response.headers.get(name);
    if (value) headers.set(name, value);
  }
  if (!response.body) {
    upstream.settle();
    return new Response(null, { status: response.status, headers });
  }
  const reader = response.body.getReader();
  let finished = false;
  const finish = (error?: string) => {
    if (finished) return;
    finished = true;
    upstream.settle();
    if (error) log.error = error;
    log.end(true);
  };
  log.defer();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (error) {
        if (!upstream.timedOut() && upstream.signal.aborted) {
          // The client's abort reached the upstream read before the body's cancel (Bun).
          finish("client disconnected");
          controller.close();
          return;
        }
        const reason = upstream.timedOut() ??
          new ProxyError(502, "api_error", `The upstream connection failed: ${String(error)}`);
        finish(reason.message);
        controller.error(reason);
        return;
      }
      if (read.done) {
        finish();
        controller.close();
      } else controller.enqueue(read.value);
    },
    cancel(reason) {
      finish("client disconnected");
      upstream.abort(reason);
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
  return new Response(body, { status: response.status, headers });
}

/** The client's anthropic-version and anthropic-beta headers, to keep on the way upstream. */
export function anthropicHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ["anthropic-version", "anthropic-beta"]) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  return headers;
}
