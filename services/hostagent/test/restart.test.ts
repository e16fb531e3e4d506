import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SandboxEventType, SandboxState, type SandboxEvent } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { exec, leftoversOf, newSandboxId, sandboxPidOf, startAgent, stopAgentAndSandboxes, type AgentProcess, testRuntimes as runtimes } from "./harness.js";
import { freeLoopbackPort as freePort } from "../src/runtime/qemu/network.js";

/**
 * A restart of the host agent loses nothing: sandboxes outlive it, the next
 * run (same listen address, same data dir) re-adopts the live ones, and only
 * those that really died are reported LOST and cleaned up. Both runtimes;
 * QEMU under TCG needs the guest image (WRENN_TEST_IMAGES_DIR).
 */
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";

/** Every event the agent has (include_recent) plus what arrives within `ms`. */
async function eventsOf(agent: AgentProcess, ms = 300): Promise<SandboxEvent[]> {
  const seen: SandboxEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    try {
      for await (const { event } of agent.sandboxes.watchEvents({ includeRecent: true }, { signal: controller.signal })) if (event) seen.push(event);
    } catch {
      // cancelled
    }
  })();
  await sleep(ms);
  controller.abort();
  await done;
  return seen;
}

async function counter(agent: AgentProcess, sandboxId: string): Promise<number> {
  return Number((await exec(agent, sandboxId, "cat", ["/tmp/c"])).stdout);
}

/** Waits until the sandbox's counter has moved past `past`. */
async function counterPast(agent: AgentProcess, sandboxId: string, past: number): Promise<number> {
  let value = past;
  for (let i = 0; i < 100 && value <= past; i++) {
    await sleep(100);
    value = await counter(agent, sandboxId);
  }
  return value;
}

async function sha(agent: AgentProcess, sandboxId: string, path: string): Promise<string> {
  return (await exec(agent, sandboxId, "sha256sum", [path])).stdout.split(" ")[0]!;
}

/** Process group and session of a process (fields 5 and 6 of /proc/PID/stat). */
async function groupOf(pid: number): Promise<{ pgrp: string; session: string }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pgrp: fields[2]!, session: fields[3]! };
}

async function killAgent(agent: AgentProcess): Promise<void> {
  const exited = new Promise((resolve) => agent.child.once("exit", resolve));
  agent.child.kill("SIGKILL");
  await exited;
  agent.channel.close();
}

describe.each(runtimes)("host agent restart on the %s runtime", (runtime) => {
  let dataDir: string;
  let env: Record<string, string>;
  let agent: AgentProcess;
  const startTimeoutMs = 900_000;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wrenn-ha-restart-"));
    const listen = `127.0.0.1:${await freePort()}`;
    env = {
      WRENN_RUNTIME: runtime,
      WRENN_DATA_DIR: dataDir,
      WRENN_HOSTAGENT_LISTEN: listen,
      WRENN_SANDBOXES_ON_STOP: "keep",
      ...(runtime === "qemu" ? { WRENN_IMAGES_DIR: imagesDir } : {}),
    };
    agent = await startAgent(env, startTimeoutMs);
  }, startTimeoutMs);

  afterAll(async () => {
    if (agent) await stopAgentAndSandboxes(agent);
    // WRENN_TEST_KEEP_DATA=1 keeps the data dir (records, logs) for a look after a failure.
    if (!process.env.WRENN_TEST_KEEP_DATA) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  test("kill -9 and a clean SIGTERM restart: live sandboxes keep running, a paused one resumes, one killed meanwhile is LOST and cleaned up", async () => {
    const kept = newSandboxId();
    const doomed = newSandboxId();
    const sleeper = newSandboxId();
    for (const sandboxId of [kept, doomed, sleeper]) {
      await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 300, timeoutSeconds: 3600, envs: { WHO: sandboxId } });
    }
    await exec(agent, kept, "sh", ["-c", "(i=0; while true; do i=$((i+1)); echo $i > /tmp/c.tmp && mv /tmp/c.tmp /tmp/c; sleep 0.1; done) >/dev/null 2>&1 &"]);
    await exec(agent, kept, "sh", ["-c", "mkdir -p /dev/shm && head -c 4194304 /dev/urandom > /dev/shm/blob"]);
    const blobSha = await sha(agent, kept, "/dev/shm/blob");
    await exec(agent, sleeper, "sh", ["-c", "mkdir -p /dev/shm && echo asleep > /dev/shm/marker"]);
    await agent.sandboxes.pauseSandbox({ sandboxId: sleeper });
    const before = await counterPast(agent, kept, 0);
    expect(before).toBeGreaterThan(0);
    const expiresAt = (await agent.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === kept)?.expiresAt;
    // A Ctrl-C on the agent's terminal (its process group) or the end of its session never reaches the sandbox.
    const agentGroup = await groupOf(agent.child.pid!);
    const sandboxGroup = await groupOf((await sandboxPidOf(kept))!);
    expect(sandboxGroup.pgrp).not.toBe(agentGroup.pgrp);
    expect(sandboxGroup.session).not.toBe(agentGroup.session);

    // 1. kill -9: nothing is cleaned up, nothing is told.
    await killAgent(agent);
    const doomedPid = await sandboxPidOf(doomed);
    expect(doomedPid, "the sandbox outlived the agent").toBeDefined();
    expect(await sandboxPidOf(kept)).toBeDefined();
    // While the agent is down, one sandbox dies.
    process.kill(doomedPid!, "SIGKILL");
    for (let i = 0; i < 100 && (await sandboxPidOf(doomed)) !== undefined; i++) await sleep(50);

    const t0 = performance.now();
    agent = await startAgent(env, startTimeoutMs);
    console.log(`[${runtime}] restart after kill -9 → listening with 3 sandboxes recovered: ${Math.round(performance.now() - t0)} ms`);
    const listed = (await agent.sandboxes.listSandboxes({})).sandboxes;
    expect(listed.find((s) => s.sandboxId === kept)?.state).toBe(SandboxState.SANDBOX_STATE_RUNNING);
    expect(listed.find((s) => s.sandboxId === sleeper)?.state).toBe(SandboxState.SANDBOX_STATE_PAUSED);
    expect(listed.find((s) => s.sandboxId === doomed)).toBeUndefined();
    // Its TTL is the one it had, not a fresh one.
    expect(listed.find((s) => s.sandboxId === kept)?.expiresAt?.getTime()).toBe(expiresAt?.getTime());
    const events = await eventsOf(agent);
    expect(events.filter((e) => e.sandboxId === doomed).map((e) => e.type)).toEqual([SandboxEventType.SANDBOX_EVENT_TYPE_LOST]);
    expect(events.filter((e) => e.sandboxId !== doomed)).toEqual([]);
    expect(await leftoversOf(dataDir, doomed)).toEqual({ dir: false, mounts: [], processes: [] });

    // The survivor answers through the relay, kept counting, and its tmpfs file is intact.
    const afterKill = await counterPast(agent, kept, before);
    expect(afterKill).toBeGreaterThan(before);
    expect(await sha(agent, kept, "/dev/shm/blob")).toBe(blobSha);
    expect((await exec(agent, kept, "sh", ["-c", "echo $WHO"])).stdout.trim()).toBe(kept);

    // 2. A clean stop (SIGTERM) with the default "keep", then a start.
    await agent.stop();
    expect(await sandboxPidOf(kept), "SIGTERM left the sandbox running").toBeDefined();
    agent = await startAgent(env, startTimeoutMs);
    expect((await eventsOf(agent)).filter((e) => e.type === SandboxEventType.SANDBOX_EVENT_TYPE_LOST)).toEqual([]);
    const afterStop = await counterPast(agent, kept, afterKill);
    expect(afterStop).toBeGreaterThan(afterKill);
    expect(await sha(agent, kept, "/dev/shm/blob")).toBe(blobSha);

    // The paused one survived both restarts and resumes with its state.
    const resumed = await agent.sandboxes.resumeSandbox({ sandboxId: sleeper });
    expect(resumed.sandbox?.state).toBe(SandboxState.SANDBOX_STATE_RUNNING);
    expect((await exec(agent, sleeper, "cat", ["/dev/shm/marker"])).stdout.trim()).toBe("asleep");
    expect((await exec(agent, sleeper, "sh", ["-c", "echo $WHO"])).stdout.trim()).toBe(sleeper);

    // Adopted sandboxes are fully managed: destroy leaves nothing.
    await agent.sandboxes.destroySandbox({ sandboxId: sleeper });
    expect(await leftoversOf(dataDir, sleeper)).toEqual({ dir: false, mounts: [], processes: [] });
  }, 900_000);

  test("a sandbox that dies after adoption is reported EXITED and cleaned up", async () => {
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 300 });
    await agent.stop();
    agent = await startAgent(env, startTimeoutMs);
    expect((await agent.sandboxes.listSandboxes({})).sandboxes.some((s) => s.sandboxId === sandboxId)).toBe(true);
    // Not the agent's child any more: its death is noticed by watching /proc.
    process.kill((await sandboxPidOf(sandboxId))!, "SIGKILL");
    let exited: SandboxEvent | undefined;
    for (let i = 0; i < 100 && !exited; i++) {
      await sleep(100);
      exited = (await eventsOf(agent, 50)).find((e) => e.sandboxId === sandboxId);
    }
    expect(exited?.type).toBe(SandboxEventType.SANDBOX_EVENT_TYPE_EXITED);
    for (let i = 0; i < 50 && (await leftoversOf(dataDir, sandboxId)).dir; i++) await sleep(100);
    expect(await leftoversOf(dataDir, sandboxId)).toEqual({ dir: false, mounts: [], processes: [] });
  }, 900_000);

  test("WRENN_SANDBOXES_ON_STOP=destroy: a stop takes every sandbox with it", async () => {
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 300 });
    await agent.stop();
    agent = await startAgent({ ...env, WRENN_SANDBOXES_ON_STOP: "destroy" }, startTimeoutMs);
    expect((await agent.sandboxes.listSandboxes({})).sandboxes.some((s) => s.sandboxId === sandboxId)).toBe(true);
    await agent.stop();
    expect(await leftoversOf(dataDir, sandboxId)).toEqual({ dir: false, mounts: [], processes: [] });
    await expect(stat(join(dataDir, "sandboxes", sandboxId))).rejects.toThrow();
    agent = await startAgent(env, startTimeoutMs);
    expect((await agent.sandboxes.listSandboxes({})).sandboxes).toEqual([]);
  }, 900_000);

  // Only QEMU templates are snapshots with a fixed size; the namespace runtime has no base template to replace.
  if (runtime === "qemu") test("a new default size makes a new base template; a sandbox of the old size keeps working, and the old size stays as its base-<vcpus>x<memory> template", async () => {
    const templatesDir = join(dataDir, "templates", "qemu");
    const bases = async () => (await readdir(templatesDir)).filter((n) => n.startsWith("_base-")).sort();
    const old = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId: old, templateId: "base", startTimeoutSeconds: 300 });
    await exec(agent, old, "sh", ["-c", "echo from-the-old-size > /dev/shm/marker"]);
    await agent.sandboxes.pauseSandbox({ sandboxId: old });
    const [oldBase] = await bases();
    await agent.stop();

    agent = await startAgent({ ...env, WRENN_DEFAULT_MEMORY_MB: "512" }, startTimeoutMs);
    expect((await bases()).length, "the old base template stays while a sandbox uses it").toBe(2);
    const fresh = newSandboxId();
    const { sandbox } = await agent.sandboxes.createSandbox({ sandboxId: fresh, templateId: "base", startTimeoutSeconds: 300 });
    expect(sandbox?.resources?.memoryMib).toBe(512);
    const resumed = await agent.sandboxes.resumeSandbox({ sandboxId: old });
    expect(resumed.sandbox?.resources?.memoryMib).toBe(1024);
    expect((await exec(agent, old, "cat", ["/dev/shm/marker"])).stdout.trim()).toBe("from-the-old-size");
    await agent.sandboxes.destroySandbox({ sandboxId: old });
    await agent.sandboxes.destroySandbox({ sandboxId: fresh });
    await agent.stop();

    // Base sizes of the current image are made once and kept (only another image's go): the old
    // default is base-2x1024 now, and a sandbox of that size restores it without a new cold boot.
    agent = await startAgent({ ...env, WRENN_DEFAULT_MEMORY_MB: "512" }, startTimeoutMs);
    expect(await bases()).toContain(oldBase);
    const sized = newSandboxId();
    const made = await agent.sandboxes.createSandbox({ sandboxId: sized, templateId: "base-2x1024", startTimeoutSeconds: 300 });
    expect(made.sandbox?.resources).toMatchObject({ vcpus: 2, memoryMib: 1024 });
    expect((await bases()).length).toBe(2);
    await agent.sandboxes.destroySandbox({ sandboxId: sized });
  }, 900_000);
});
