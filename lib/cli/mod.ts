/**
 * Subcommands: `setup`, `doctor`, `service`. Node built-ins only (no Deno.* or Bun.*), so they
 * run the same in `deno run`, Bun and both single-file binaries.
 * @module
 */
import { ConfigError } from "../config.ts";
import { warn } from "./args.ts";
import { configCommand } from "./config_cmd.ts";
import { doctor } from "./doctor.ts";
import { EnvFileError } from "./env.ts";
import { service } from "./service.ts";
import { setup } from "./setup.ts";

const SUBCOMMANDS = {
  setup,
  doctor,
  config: configCommand,
  service: (argv: readonly string[]) => Promise.resolve(service(argv)),
} as const;

/** The subcommand names main.ts dispatches on. */
export type Subcommand = keyof typeof SUBCOMMANDS;

/** Whether argv[0] names a subcommand. */
export function isSubcommand(name: string | undefined): name is Subcommand {
  return name !== undefined && Object.hasOwn(SUBCOMMANDS, name);
}

/** Runs a subcommand; resolves with its exit status. */
export async function runSubcommand(name: Subcommand, argv: readonly string[]): Promise<number> {
  try {
    return await SUBCOMMANDS[name](argv);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof EnvFileError) {
      warn(`claude-proxy ${name}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
