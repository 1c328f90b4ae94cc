/**
 * Subcommand flags: each subcommand takes a few flags of its own (`--yes`, `--path` …) and
 * passes the rest to the server's flag table, so every server flag means the same everywhere.
 * @module
 */
import { ConfigError } from "../config.ts";

/** The subcommand's own flags: name → "boolean" or "value". */
export type OwnFlags = Record<string, "boolean" | "value">;

/** Own flag values, and the remaining arguments for parseFlags/loadConfig. */
export interface SplitArgs {
  own: Map<string, string>;
  rest: string[];
}

/** Takes the subcommand's own flags out of argv; everything else is left in order. */
export function splitArgs(argv: readonly string[], flags: OwnFlags): SplitArgs {
  const own = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") ? arg.slice(2, eq === -1 ? undefined : eq) : "";
    const kind = name ? flags[name] : undefined;
    if (arg === "-y" && flags.yes) {
      own.set("yes", "true");
      continue;
    }
    if (!kind) {
      rest.push(arg);
      continue;
    }
    if (kind === "boolean") {
      own.set(name, "true");
      continue;
    }
    const value = eq !== -1
      ? arg.slice(eq + 1)
      : argv[i + 1]?.startsWith("--")
      ? undefined
      : argv[++i];
    if (value === undefined) throw new ConfigError(`--${name} needs a value`);
    own.set(name, value);
  }
  return { own, rest };
}

/** Writes one line to stdout. */
export function say(line = ""): void {
  // deno-lint-ignore no-console
  console.log(line);
}

/** Writes one line to stderr. */
export function warn(line: string): void {
  // deno-lint-ignore no-console
  console.error(line);
}
