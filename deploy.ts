/**
 * Deno Deploy entry (also `deno serve deploy.ts` anywhere): a default export `{ fetch }` built
 * from `Deno.env` with the same rules as the Cloudflare Worker (lib/worker.ts): HOST and PORT are
 * ignored (the platform, or `deno serve --host/--port`, listens), and without PROXY_AUTH_TOKEN
 * (or ALLOW_UNAUTHENTICATED=true) every request gets a 500 in Anthropic's error envelope.
 * The configuration is read once, on the first request.
 * @module
 */
import { buildHosted, serveBuilt } from "./lib/worker.ts";

let built: ReturnType<typeof buildHosted> | undefined;

export default {
  fetch(request: Request): Promise<Response> {
    built ??= buildHosted(Deno.env.toObject());
    return serveBuilt(built, request);
  },
} satisfies Deno.ServeDefaultExport;
