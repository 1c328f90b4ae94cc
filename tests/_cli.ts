/**
 * Runs the proxy's command line (setup, doctor, service, or the server) as a process: the
 * binary from CLAUDE_PROXY_BIN, else `deno run main.ts` with the permissions subcommands need.
 * @module
 */
import { NO_CONFIG_DIR, proxyCommand } from "./_servers.ts";

const ROOT = new URL("../", import.meta.url);

/** The command and arguments, with main.ts as an absolute path so any cwd works. */
export function cliCommand(args: string[]): { command: string; args: string[] } {
  const { command, args: fullArgs } = proxyCommand(args);
  if (Deno.env.get("CLAUDE_PROXY_BIN")) return { command, args: fullArgs };
  const main = fullArgs.indexOf("main.ts");
  return {
    command,
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      new URL("main.ts", ROOT).pathname,
      ...fullArgs.slice(main + 1),
    ],
  };
}

/** What a finished run printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs to completion with only `env` set (plus DENO_DIR, so deno finds its cache). */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const { command, args: fullArgs } = cliCommand(args);
  const denoDir = Deno.env.get("DENO_DIR");
  const child = new Deno.Command(command, {
    args: fullArgs,
    cwd: options.cwd ?? ROOT.pathname,
    env: {
      ...(denoDir ? { DENO_DIR: denoDir } : {}),
      // Unless the test sets up a home, the developer's own settings stay out of it.
      ...(env.HOME || env.XDG_CONFIG_HOME ? {} : { XDG_CONFIG_HOME: NO_CONFIG_DIR }),
      ...env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  try {
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}
