import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { spawnService, type SpawnServiceOptions } from "@wrenn/devstack";

const entry = fileURLToPath(new URL("./fixtures/fake-service.ts", import.meta.url));
const start = (env: Record<string, string>, extra: Partial<SpawnServiceOptions> = {}) =>
  spawnService({ name: "fake", entry, env, listeners: ["grpc", "http"], startTimeoutMs: 20_000, ...extra });

/** True while `pid` exists (signal 0 checks without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A tsx start takes a second or more on a loaded machine.
describe("spawnService", { timeout: 30_000 }, () => {
  it("starts once every listener has logged its address, and keeps what the service wrote", async () => {
    const service = await start({ FAKE_LISTENERS: "grpc,http" });
    try {
      expect(Object.fromEntries(service.addresses)).toEqual({ grpc: "127.0.0.1:5000", http: "127.0.0.1:5001" });
      expect(service.logs.map((l) => l.msg)).toEqual(["starting", "listening", "listening"]);
      expect(service.lines[0]).toContain('"msg":"starting"');
    } finally {
      await service.stop();
    }
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(service.logs.at(-1)?.msg).toBe("stopping");
  });

  it("fails a service that exits before listening with its exit status and its last lines", async () => {
    const failure = (await start({ FAKE_MODE: "crash" }).catch((err: unknown) => err)) as Error;
    expect(failure.message).toMatch(/^fake exited with 3 before listening; its last log lines:/);
    // Both of its streams, as written.
    expect(failure.message).toContain('  | {"level":30,"err":"no such file: /etc/wrenn.toml","msg":"configuration failed"}');
    expect(failure.message).toContain("  | a plain line on stdout");
  });

  it("fails a service that never listens once the timeout passes, and leaves no process behind", async () => {
    let pid = 0;
    const failure = start({ FAKE_MODE: "silent" }, { startTimeoutMs: 6_000, onLog: (entry) => (pid = entry.pid as number) });
    await expect(failure).rejects.toThrow(/fake did not log "listening" for grpc, http within 6000 ms[\s\S]*"msg":"starting"/);
    expect(pid).toBeGreaterThan(0);
    expect(running(pid)).toBe(false);
  });

  it("runs the entry under a prefix command with only PATH and its own settings", async () => {
    process.env.WRENN_SPAWN_TEST_SECRET = "not for the service";
    try {
      const service = await start({ FAKE_LISTENERS: "grpc,http" }, { inheritEnv: false, prefix: ["env"] });
      const environ = await readFile(`/proc/${service.child.pid}/environ`, "utf8");
      await service.stop();
      expect(environ.split("\0").filter(Boolean).map((kv) => kv.split("=")[0]).sort()).toEqual(["FAKE_LISTENERS", "PATH"]);
    } finally {
      delete process.env.WRENN_SPAWN_TEST_SECRET;
    }
  });
});
