import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bwrapPidOf, exec, newSandboxId, startAgent, type AgentProcess, testRuntimes as runtimes } from "./harness.js";

/**
 * Sizes a user can see: with the defaults a sandbox has 2 vCPUs and 1 GiB of
 * memory (QEMU: the guest's; namespace: its cgroup CPU quota and memory
 * limit), reports them on create, list and resume, and holds a 300 MiB file
 * in /dev/shm. A QEMU guest has at least 1 GiB free on its root disk.
 */
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";

async function cgroupDirOf(pid: number, controller: string): Promise<string> {
  const text = await readFile(`/proc/${pid}/cgroup`, "utf8");
  const line = text.split("\n").find((l) => l.split(":")[1]?.split(",").includes(controller));
  return join("/sys/fs/cgroup", controller, line!.split(":")[2]!);
}

describe.each(runtimes)("default sandbox size on the %s runtime", (runtime) => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await startAgent(runtime === "qemu" ? { WRENN_RUNTIME: "qemu", WRENN_IMAGES_DIR: imagesDir } : { WRENN_RUNTIME: "namespace" }, 900_000);
  }, 900_000);
  afterAll(async () => {
    await agent?.stop();
  });

  test("2 vCPUs and 1 GiB, reported on create, list and resume; a 300 MiB file fits in /dev/shm", async () => {
    const sandboxId = newSandboxId();
    const { sandbox } = await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 300 });
    try {
      expect(sandbox?.resources?.vcpus).toBe(2);
      expect(sandbox?.resources?.memoryMib).toBe(1024);
      expect(sandbox?.resources?.diskMib).toBeGreaterThanOrEqual(2048);
      const listed = (await agent.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === sandboxId);
      expect(listed?.resources).toEqual(sandbox?.resources);

      if (runtime === "qemu") {
        expect((await exec(agent, sandboxId, "nproc")).stdout.trim()).toBe("2");
        const memTotal = Number(/^Mem:\s+(\d+)/m.exec((await exec(agent, sandboxId, "free", ["-m"])).stdout)?.[1]);
        // The kernel keeps a little for itself: "about 1 GiB".
        expect(memTotal).toBeGreaterThan(900);
        expect(memTotal).toBeLessThanOrEqual(1024);
        const free = Number((await exec(agent, sandboxId, "sh", ["-c", "df -m --output=avail / | tail -1"])).stdout.trim());
        console.log(`[qemu] root disk: ${sandbox?.resources?.diskMib} MiB, ${free} MiB free`);
        expect(free).toBeGreaterThanOrEqual(1024);
      } else {
        const pid = (await bwrapPidOf(sandboxId))!;
        expect((await readFile(join(await cgroupDirOf(pid, "memory"), "memory.limit_in_bytes"), "utf8")).trim()).toBe(String(1024 * 2 ** 20));
        const cpu = await cgroupDirOf(pid, "cpu");
        const quota = Number(await readFile(join(cpu, "cpu.cfs_quota_us"), "utf8"));
        const period = Number(await readFile(join(cpu, "cpu.cfs_period_us"), "utf8"));
        expect(quota / period).toBe(2);
      }

      const shm = await exec(agent, sandboxId, "sh", ["-c", "head -c 300M /dev/zero > /dev/shm/big && ls -l /dev/shm/big | awk '{print $5}'"]);
      expect(shm.stderr).toBe("");
      expect(shm.stdout.trim()).toBe(String(300 * 2 ** 20));
      await exec(agent, sandboxId, "rm", ["/dev/shm/big"]);

      await agent.sandboxes.pauseSandbox({ sandboxId });
      const resumed = await agent.sandboxes.resumeSandbox({ sandboxId });
      expect(resumed.sandbox?.resources).toEqual(sandbox?.resources);
    } finally {
      await agent.sandboxes.destroySandbox({ sandboxId });
    }
  }, 600_000);
});
