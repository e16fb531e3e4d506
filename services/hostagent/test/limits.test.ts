import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bwrapPidOf, exec, newSandboxId, startAgent, type AgentProcess } from "./harness.js";

/** The v1 cgroup directory of a host process for one controller. */
async function cgroupDirOf(pid: number, controller: string): Promise<string> {
  const text = await readFile(`/proc/${pid}/cgroup`, "utf8");
  const line = text.split("\n").find((l) => l.split(":")[1]?.split(",").includes(controller));
  return join("/sys/fs/cgroup", controller, line!.split(":")[2]);
}

describe("per-sandbox cgroup v1 limits", () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await startAgent({ WRENN_SANDBOX_MEMORY_MB: "256", WRENN_SANDBOX_PIDS_MAX: "64" });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it("puts every sandbox process in its own memory and pids group, enforces both, and removes them on destroy", async () => {
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: {} });
    const pid = (await bwrapPidOf(sandboxId))!;
    const memoryDir = await cgroupDirOf(pid, "memory");
    const pidsDir = await cgroupDirOf(pid, "pids");
    try {
      expect(memoryDir.endsWith(`/wrenn/${sandboxId}`)).toBe(true);
      expect(pidsDir.endsWith(`/wrenn/${sandboxId}`)).toBe(true);
      expect((await readFile(join(memoryDir, "memory.limit_in_bytes"), "utf8")).trim()).toBe(String(256 * 1024 * 1024));
      expect((await readFile(join(pidsDir, "pids.max"), "utf8")).trim()).toBe("64");

      // More processes than pids.max: some forks must fail.
      const forks = await exec(agent, sandboxId, "sh", ["-c", "for i in $(seq 1 100); do sleep 1 & done 2>&1; wait"]);
      expect(forks.stdout + forks.stderr).toMatch(/fork|resource temporarily unavailable/i);

      // Holding 400 MiB (sort keeps all its input) in a 256 MiB group gets it OOM-killed (128 + 9).
      const hog = await exec(agent, sandboxId, "sh", ["-c", "head -c 400m /dev/zero | sort > /dev/null; echo status=$?"]);
      expect(hog.stdout).toBe("status=137\n");
      // Only the hog died; the sandbox and its envd carry on.
      expect((await exec(agent, sandboxId, "echo", ["alive"])).stdout).toBe("alive\n");
    } finally {
      await agent.sandboxes.destroySandbox({ sandboxId });
    }
    await expect(access(memoryDir)).rejects.toThrow();
    await expect(access(pidsDir)).rejects.toThrow();
  });

  it("a base-size template id is the base root with that size's memory limit and CPUs, reported as its resources", async () => {
    const sandboxId = newSandboxId();
    const { sandbox } = await agent.sandboxes.createSandbox({ sandboxId, templateId: "base-1x512", envs: {} });
    try {
      expect(sandbox?.resources).toMatchObject({ vcpus: 1, memoryMib: 512 });
      const memoryDir = await cgroupDirOf((await bwrapPidOf(sandboxId))!, "memory");
      expect((await readFile(join(memoryDir, "memory.limit_in_bytes"), "utf8")).trim()).toBe(String(512 * 1024 * 1024));
      expect((await exec(agent, sandboxId, "cat", ["/etc/os-release"])).exitCode).toBe(0);
    } finally {
      await agent.sandboxes.destroySandbox({ sandboxId });
    }
    const bad = await agent.sandboxes.createSandbox({ sandboxId: newSandboxId(), templateId: "base-1x500", envs: {} }).catch((e: Error) => e);
    expect(String(bad)).toMatch(/not found/);
  });
});
