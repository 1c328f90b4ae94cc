/**
 * --help text, rendered from the flag table so the two never disagree.
 * @module
 */
import { FLAGS } from "./config.ts";
import { presetHelp } from "./providers.ts";
import { VERSION } from "./version.ts";

/** The full --help text. */
export function helpText(): string {
  const rows = FLAGS.map((spec) => {
    const left = `  --${spec.flag} ${spec.value}`;
    const env = spec.env.length ? ` [env: ${spec.env.join(", ")}]` : "";
    const fallback = spec.default ? ` (default: ${spec.default})` : "";
    return `${left.padEnd(36)} ${spec.help}${fallback}${env}`;
  });
  return [
    `claude-proxy ${VERSION}`,
    "Lets Claude Code and other Anthropic Messages API clients use any OpenAI-compatible backend.",
    "",
    "Usage: claude-proxy [flags]                 serve",
    "       claude-proxy setup [--yes] [flags]   point Claude Code at the proxy (setup --help)",
    "       claude-proxy doctor [flags]          check the backend, in plain words",
    "       claude-proxy service print|install   a systemd unit (service --help)",
    "       claude-proxy config check [PATH]     validate a config file, print its routes",
    "       claude-proxy config init [PATH]      write a commented starter config file",
    "",
    "Flags win over the environment, which wins over the .env file, which wins over defaults.",
    "",
    ...rows,
    `${"  --help, --version".padEnd(36)} Show this help or the version`,
    "",
    "Providers (--provider; inferred from the base URL's host when not given):",
    ...presetHelp(),
    "",
    "Example: claude-proxy --base-url https://api.openai.com/v1 --api-key sk-... --model gpt-4o",
    "Then:    ANTHROPIC_BASE_URL=http://127.0.0.1:8787 ANTHROPIC_AUTH_TOKEN=unused claude",
    "",
  ].join("\n");
}
