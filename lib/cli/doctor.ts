/**
 * `claude-proxy doctor`: loads the configuration exactly as the server does (flags, environment,
 * .env), reaches each backend, lists its models, sends one tiny chat request per configured
 * model, and says what is wrong in plain words. Exit status 0 only when every request went
 * through.
 * @module
 */
import process from "node:process";
import { type Backend, type Config, ConfigError } from "../config.ts";
import { describeRouting } from "../routing.ts";
import { loadAll } from "./config_file.ts";
import { say, splitArgs, warn } from "./args.ts";
import { EnvFileError } from "./env.ts";
import { chatProbe, listModels, type ProbeResult } from "./probe.ts";

const HELP = `Usage: claude-proxy doctor [server flags…]

Checks the configuration the server would use (flags, environment, .env / --env-file), lists
the backend's models (GET {base}/models; an anthropic backend's /v1/models), sends one tiny
request (max_tokens 1) per configured model, and explains what is wrong. Exit status 0 only when
every request went through.

  --timeout SECONDS   Deadline per request (default 20)
`;

/** Runs `doctor`; resolves with the exit status. */
export async function doctor(argv: readonly string[]): Promise<number> {
  let config: Config;
  let timeoutMs = 20_000;
  try {
    const { own, rest } = splitArgs(argv, { help: "boolean", timeout: "value" });
    if (own.has("help")) {
      process.stdout.write(HELP);
      return 0;
    }
    if (own.has("timeout")) {
      timeoutMs = Number(own.get("timeout")) * 1000;
      if (!(timeoutMs > 0 && timeoutMs <= 600_000)) {
        throw new ConfigError(`--timeout must be 1 to 600 seconds, got "${own.get("timeout")}"`);
      }
    }
    const { result } = loadAll(rest);
    if (result.action === "help") {
      process.stdout.write(HELP);
      return 0;
    }
    if (result.action !== "serve") throw new ConfigError("--version is not a doctor flag");
    config = result.config;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof EnvFileError) {
      warn(`❌ configuration: ${error.message}`);
      return 2;
    }
    throw error;
  }
  say(`✅ configuration loads (port ${config.port}, host ${config.host})`);

  // Distinct backends (URL + key), then distinct models on each.
  const backends = new Map<string, { backend: Backend; models: Set<string | undefined> }>();
  const candidates: Backend[] = [];
  const routing = config.routing;
  if (routing) {
    say(`✅ config file ${routing.source}: ${describeRouting(routing).length} routes`);
    const { routes } = routing;
    const targets = [
      ...Object.values(routes.scenarios).flat(),
      ...routes.models.flatMap((route) => route.targets),
      ...(routes.default ?? []),
    ];
    for (const target of targets) {
      if (!target) continue;
      const provider = routing.providers[target.provider];
      candidates.push({
        baseUrl: provider.baseUrl,
        apiKey: provider.apiKey,
        model: target.model,
        type: provider.type,
      });
    }
  }
  // The flag/env backend serves what no route takes.
  if (!routing?.routes.default) candidates.push(config.backend, ...Object.values(config.tiers));
  for (const backend of candidates) {
    const key = `${backend.type ?? "openai"}\n${backend.baseUrl}\n${backend.apiKey ?? ""}`;
    const entry = backends.get(key) ?? { backend, models: new Set() };
    entry.models.add(backend.model);
    backends.set(key, entry);
  }

  let failures = 0;
  let successes = 0;
  for (const { backend, models } of backends.values()) {
    say("");
    const auth = backend.apiKey
      ? `API key configured (${backend.apiKey.length} characters, not shown)`
      : "no API key (the proxy forwards the client's key; doctor sends none)";
    const dialect = backend.type === "anthropic" ? " (anthropic Messages API)" : "";
    say(`Backend ${backend.baseUrl}${dialect} — ${auth}`);
    const list = await listModels(backend, { timeoutMs });
    if (list.ok) {
      const shown = list.models!.slice(0, 15).join(", ");
      const more = list.models!.length > 15 ? `, … (${list.models!.length} in all)` : "";
      say(`✅ models: ${shown || "(none listed)"}${more}`);
    } else {
      report(list, list.status === 404 || list.status === 405 ? "⚠️ " : "❌");
      // Nothing answers there, or the key is wrong: a chat request would say the same.
      if (list.status === undefined || list.status === 401) {
        failures++;
        continue;
      }
    }
    for (let model of models) {
      if (model === undefined) {
        say(
          "⚠️  no --model: requests pass Claude's model names (claude-sonnet-…) through unchanged",
        );
        model = list.models?.[0];
        if (!model) {
          say("❌ no model to test with: set --model to one the backend serves");
          failures++;
          continue;
        }
        say(`   testing with the backend's first listed model, ${model}`);
      } else if (list.ok && list.models!.length > 0 && !list.models!.includes(model)) {
        say(`⚠️  "${model}" is not in the backend's model list`);
      }
      const result = await chatProbe({ ...backend, model }, { timeoutMs });
      if (result.ok) {
        successes++;
        say(`✅ ${result.summary}`);
      } else {
        failures++;
        report(result, "❌");
      }
    }
  }
  say("");
  if (failures === 0 && successes > 0) {
    say("All good: requests go through. Start the proxy with the same flags.");
    return 0;
  }
  say(`${failures} problem${failures === 1 ? "" : "s"} found; see the ❌ lines above.`);
  return 1;
}

function report(result: ProbeResult, mark: string): void {
  say(`${mark} ${result.summary}`);
  if (result.reason) say(`   the backend said: ${result.reason}`);
  if (result.advice) say(`   → ${result.advice}`);
}
