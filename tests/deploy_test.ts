/**
 * The Deno Deploy entry (deploy.ts) end to end: `deno serve deploy.ts` on 127.0.0.1, configured
 * by environment variables, driven by the official Anthropic SDK; the same suite as workerd.
 */
import { hostedSuite } from "./_hosted_suite.ts";
import { denoServeStarter } from "./_hosted.ts";

hostedSuite({
  target: "deno serve deploy.ts",
  ignore: false,
  noticesSilentDisconnect: true,
  precondition() {},
  starter: () => Promise.resolve(denoServeStarter),
});
