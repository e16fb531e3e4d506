import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { ClientError, Status } from "nice-grpc";
import { afterEach, describe, expect, it } from "vitest";
import { spawnService } from "@wrenn/devstack";
import { bundlePath, collect, isAlive, startEnvd, type RunningEnvd } from "./harness.js";

const started: RunningEnvd[] = [];
async function envdWith(env: Record<string, string> = {}): Promise<RunningEnvd> {
  const e = await startEnvd(env);
  started.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
});

describe("envd daemon", () => {
  it("logs one listening line with the unix address", async () => {
    const envd = await envdWith();
    const listening = envd.logs.filter((l) => l.msg === "listening");
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({ listener: "grpc", address: `unix:${envd.socket}` });
  });

  it("reports the bound port when listening on TCP port 0", async () => {
    const envd = await spawnService({
      name: "envd",
      entry: bundlePath,
      bundled: true,
      inheritEnv: false,
      env: { WRENN_ENVD_LISTEN: "127.0.0.1:0" },
      listeners: ["grpc"],
      startTimeoutMs: 10_000,
    });
    try {
      const line = envd.logs.find((l) => l.msg === "listening")!;
      expect(line.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const port = Number(String(line.address).split(":")[1]);
      expect(port).toBeGreaterThan(0);
      // The port is really taken by envd.
      const probe = createServer();
      await expect(new Promise((res, rej) => probe.once("error", rej).listen(port, "127.0.0.1", () => res(null)))).rejects.toThrow();
    } finally {
      await envd.stop();
    }
  });

  it("replaces a stale socket left by a killed daemon", async () => {
    const first = await envdWith();
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));
    expect(existsSync(first.socket)).toBe(true);
    const second = await startEnvd({}, first.socket);
    started.push(second);
    const run = await collect(second.process.start({ process: { cmd: "echo", args: ["again"] } }));
    expect(run.stdout.toString()).toBe("again\n");
  });

  it("Init sets the default user and env for later processes and returns the version", async () => {
    const envd = await envdWith();
    const res = await envd.envd.init({
      sandboxId: "sb-0123456789abcdef0123456789abcdef",
      templateId: "tpl-base",
      hostname: "sandbox",
      defaultUser: "nobody",
      envs: { TEAM_VAR: "from-init", OVERRIDDEN: "init" },
      nowUnixMs: Date.now(),
    });
    expect(res.envdVersion).toMatch(/^\d+\.\d+\.\d+/);
    const run = await collect(
      envd.process.start({
        process: { cmd: "sh", args: ["-c", 'echo "$(id -un) $TEAM_VAR $OVERRIDDEN $HOME"'], envs: { OVERRIDDEN: "request" } },
      }),
    );
    expect(run.stdout.toString()).toBe("nobody from-init request /nonexistent\n");

    // A second Init replaces the identity as a whole.
    await envd.envd.init({ defaultUser: "root", envs: {} });
    const again = await collect(envd.process.start({ process: { cmd: "sh", args: ["-c", 'echo "$(id -un):$TEAM_VAR"'] } }));
    expect(again.stdout.toString()).toBe("root:\n");

    const bad = await envd.envd.init({ defaultUser: "ghost-user" }).catch((e: ClientError) => e);
    expect(bad).toBeInstanceOf(ClientError);
    expect((bad as ClientError).code).toBe(Status.INVALID_ARGUMENT);
  });

  it("Init's default_workdir is the cwd of processes started without one; an explicit cwd wins; empty keeps the home", async () => {
    const envd = await envdWith();
    await envd.envd.init({ defaultUser: "root", defaultWorkdir: "/tmp", envs: {} });
    const pwd = (cwd?: string) => collect(envd.process.start({ process: { cmd: "pwd", args: [], cwd } })).then((r) => r.stdout.toString().trim());
    expect(await pwd()).toBe("/tmp");
    expect(await pwd("/")).toBe("/");
    await envd.envd.init({ defaultUser: "root", defaultWorkdir: "", envs: {} });
    expect(await pwd()).toBe((await collect(envd.process.start({ process: { cmd: "sh", args: ["-c", "echo $HOME"] } }))).stdout.toString().trim());
    const bad = await envd.envd.init({ defaultUser: "root", defaultWorkdir: "relative/dir" }).catch((e: ClientError) => e);
    expect((bad as ClientError).code).toBe(Status.INVALID_ARGUMENT);
  });

  it("kills running processes and exits on SIGTERM", async () => {
    const envd = await envdWith();
    const pids: number[] = [];
    const consume = (async () => {
      for await (const { event } of envd.process.start({ process: { cmd: "sleep", args: ["30"] } })) {
        if (event?.start) pids.push(event.start.pid);
      }
    })().catch(() => {});
    await expect.poll(() => pids.length, { timeout: 5_000, message: "the sleep to start" }).toBe(1);
    const exited = new Promise<number | null>((r) => envd.child.once("exit", (code) => r(code)));
    envd.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect.poll(() => isAlive(pids[0]), { timeout: 3_000, message: "the sleep to die with envd" }).toBe(false);
    await consume;
  });
});
