// deno-lint-ignore-file no-console
/**
 * Release builds: one single-file binary per target, plus SHA256SUMS.
 *
 *   deno task release       deno compile --target … → dist/release/ (downloads each target's
 *                           runtime, so it needs the internet)
 *   deno task release:bun   bun build --compile --target=bun-… → dist/release-bun/ (the target
 *                           runtimes come from the npm registry)
 *
 * Options: --bun, --only NAME[,NAME…] (e.g. linux-x64), --out DIR.
 * @module
 */
import { parseArgs } from "node:util";
import { VERSION } from "../lib/version.ts";

interface Target {
  name: string;
  deno: string;
  bun: string;
  exe?: boolean;
}

/** Every release target: file suffix, deno compile --target, bun build --target. */
export const TARGETS: readonly Target[] = [
  { name: "linux-x64", deno: "x86_64-unknown-linux-gnu", bun: "bun-linux-x64" },
  { name: "linux-arm64", deno: "aarch64-unknown-linux-gnu", bun: "bun-linux-arm64" },
  { name: "macos-x64", deno: "x86_64-apple-darwin", bun: "bun-darwin-x64" },
  { name: "macos-arm64", deno: "aarch64-apple-darwin", bun: "bun-darwin-arm64" },
  { name: "windows-x64", deno: "x86_64-pc-windows-msvc", bun: "bun-windows-x64", exe: true },
];

/** Permissions baked into the Deno binaries (setup and service install write files). */
const DENO_PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read", "--allow-write"];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    bun: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string" },
  },
});
const root = new URL("../", import.meta.url).pathname;
const out = values.out ?? `${root}dist/${values.bun ? "release-bun" : "release"}`;
const only = values.only?.split(",").map((name) => name.trim());
const targets = TARGETS.filter((target) => !only || only.includes(target.name));
if (targets.length === 0) {
  console.error(`no target matches --only ${values.only}; targets: ${TARGETS.map((t) => t.name)}`);
  Deno.exit(2);
}

await Deno.remove(out, { recursive: true }).catch(() => {});
await Deno.mkdir(out, { recursive: true });

const sums: string[] = [];
for (const target of targets) {
  const file = `claude-proxy-${target.name}${target.exe ? ".exe" : ""}`;
  const output = `${out}/${file}`;
  const [command, args] = values.bun
    ? [
      "bun",
      [
        "build",
        "--compile",
        "--minify",
        // The binary reads .env itself (as --env-file's default, under the real environment);
        // Bun's own loading would put ./.env above an explicit --env-file.
        "--no-compile-autoload-dotenv",
        "--no-compile-autoload-bunfig",
        `--target=${target.bun}`,
        "--outfile",
        output,
        "main.ts",
      ],
    ]
    : [
      Deno.execPath(),
      ["compile", ...DENO_PERMISSIONS, "--target", target.deno, "--output", output, "main.ts"],
    ];
  console.error(`== ${target.name}: ${command} ${args.join(" ")}`);
  const { code } = await new Deno.Command(command, {
    args,
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`== ${target.name}: build failed (exit ${code})`);
    Deno.exit(1);
  }
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(output));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  sums.push(`${hex}  ${file}`);
}
await Deno.writeTextFile(`${out}/SHA256SUMS`, `${sums.join("\n")}\n`);

// The host's binary must run and report the version it embeds.
const host = `${Deno.build.os === "darwin" ? "macos" : Deno.build.os}-${
  Deno.build.arch === "x86_64" ? "x64" : "arm64"
}`;
const hostTarget = targets.find((target) => target.name === host);
if (hostTarget) {
  const binary = `${out}/claude-proxy-${host}${hostTarget.exe ? ".exe" : ""}`;
  const result = await new Deno.Command(binary, { args: ["--version"] }).output();
  const version = new TextDecoder().decode(result.stdout).trim();
  if (version !== `claude-proxy ${VERSION}`) {
    console.error(`== ${binary} --version printed "${version}", expected ${VERSION}`);
    Deno.exit(1);
  }
  console.error(`== ${binary} --version: ${version}`);
}
console.error(`== ${targets.length} binaries and SHA256SUMS in ${out}`);
