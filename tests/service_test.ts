/**
 * `claude-proxy service print|install`: the unit's content, and `systemd-analyze verify` when
 * that command exists.
 */
import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";

function hasCommand(name: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return true;
    } catch {
      // Not here.
    }
  }
  return false;
}

Deno.test("service print: a hardened unit running this binary with the config env file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await runCli(["service", "print"], { HOME: dir, XDG_CONFIG_HOME: `${dir}/xdg` });
    assert.equal(result.code, 0, result.stderr);
    const unit = result.stdout;
    const exec = /^ExecStart=(.+)$/m.exec(unit)?.[1] ?? "";
    const binary = Deno.env.get("CLAUDE_PROXY_BIN");
    if (binary) assert.equal(exec, await Deno.realPath(binary));
    else assert.match(exec, /^\/\S+deno run --allow-net --allow-env --allow-read \/\S+\/main\.ts$/);
    assert.ok(exec.startsWith("/"), "ExecStart is an absolute path");
    for (
      const line of [
        `EnvironmentFile=${dir}/xdg/claude-proxy/env`,
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "PrivateTmp=yes",
        "Restart=on-failure",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=40",
        "WantedBy=multi-user.target",
        "After=network-online.target",
      ]
    ) assert.ok(unit.split("\n").includes(line), `missing ${line}\n${unit}`);
    assert.match(unit, /^\[Unit\]\n/);

    const custom = await runCli([
      "service",
      "print",
      "--user",
      "proxy",
      "--env-file",
      "/etc/claude-proxy/env",
      "--exec",
      "/usr/local/bin/claude-proxy",
    ]);
    assert.match(custom.stdout, /^ExecStart=\/usr\/local\/bin\/claude-proxy$/m);
    assert.match(custom.stdout, /^EnvironmentFile=\/etc\/claude-proxy\/env$/m);
    assert.match(custom.stdout, /^User=proxy$/m);
    assert.doesNotMatch(custom.stdout, /DynamicUser/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("service install --path writes the unit; systemd-analyze verify accepts it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/env`, "SHUTDOWN_TIMEOUT=5\n");
    const path = `${dir}/claude-proxy.service`;
    const result = await runCli([
      "service",
      "install",
      "--path",
      path,
      "--env-file",
      `${dir}/env`,
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /systemctl daemon-reload/);
    const unit = await Deno.readTextFile(path);
    assert.match(unit, /^TimeoutStopSec=15$/m);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);

    if (!hasCommand("systemd-analyze")) return;
    const verify = await new Deno.Command("systemd-analyze", {
      args: ["verify", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(verify.stderr) + new TextDecoder().decode(verify.stdout);
    // Only complaints about this unit count (a container may lack other units systemd knows).
    const own = text.split("\n").filter((line) => line.includes("claude-proxy.service"));
    assert.deepEqual(own, [], text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("service: no action or an unknown one exits 2", async () => {
  assert.equal((await runCli(["service"])).code, 2);
  const bad = await runCli(["service", "start"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown argument "start"/);
});
