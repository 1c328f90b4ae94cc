/**
 * The Cloudflare Worker entry (lib/worker.ts) end to end under Cloudflare's real runtime:
 * bundled with Bun into one ES module, served by `workerd` (npm, `deno task test:workerd:deps`
 * installs it into .cache/workerd) on 127.0.0.1 from a generated config.capnp with text bindings,
 * offline, and driven by the official Anthropic SDK. Skipped with a message when workerd or bun
 * is missing outside CI; in CI (CI=true) a missing runtime fails.
 */
import { hostedSuite } from "./_hosted_suite.ts";
import { bunAvailable, bundleWorker, installed, WORKERD, workerdStarter } from "./_hosted.ts";

const ready = installed(WORKERD) && bunAvailable();
const required = Deno.env.get("CI") === "true" || Deno.env.get("REQUIRE_WORKERD") === "1";
if (!ready && !required) {
  // deno-lint-ignore no-console
  console.warn(
    "workerd tests skipped: run `deno task test:workerd:deps` (workerd into .cache/workerd) and install bun",
  );
}

let bundle: Promise<string> | undefined;

hostedSuite({
  target: "workerd",
  ignore: !ready && !required,
  noticesSilentDisconnect: false,
  precondition() {
    if (!installed(WORKERD)) {
      throw new Error(`workerd not found at ${WORKERD}; run deno task test:workerd:deps`);
    }
    if (!bunAvailable()) throw new Error("bun not found; it bundles lib/worker.ts for workerd");
  },
  starter: async () => {
    bundle ??= (async () => {
      const dir = await Deno.makeTempDir({ prefix: "claude-proxy-worker-bundle-" });
      await bundleWorker(`${dir}/worker.js`);
      return `${dir}/worker.js`;
    })();
    return workerdStarter(await bundle);
  },
});
