import { existsSync } from "node:fs";
import { mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, onTestFinished, test, vi } from "vitest";
import { ExpiryAction, SandboxEventType, SandboxState, type SandboxEvent } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { Status } from "@wrenn/shared";
import { exec, forSandbox, leftoversOf, newSandboxId, startAgent, type AgentProcess, testRuntimes as runtimes } from "./harness.js";

/**
 * The agent's public lifecycle through its gRPC API, on both runtimes. The
 * QEMU leg runs real microVMs under TCG; it needs the guest image (built
 * into WRENN_TEST_IMAGES_DIR, default /var/lib/wrenn/images, on first run).
 */
const imagesDir = process.env.WRENN_TEST_IMAGES_DIR ?? "/var/lib/wrenn/images";

async function collectEvents(agent: AgentProcess, signal: AbortSignal, includeRecent = false): Promise<SandboxEvent[]> {
  const seen: SandboxEvent[] = [];
  void (async () => {
    try {
      for await (const { event } of agent.sandboxes.watchEvents({ includeRecent }, { signal })) if (event) seen.push(event);
    } catch {
      // cancelled at the end of the test
    }
  })();
  await sleep(100);
  return seen;
}

describe.each(runtimes)("host agent on the %s runtime", (runtime) => {
  let agent: AgentProcess;
  const env: Record<string, string> = runtime === "qemu" ? { WRENN_RUNTIME: "qemu", WRENN_IMAGES_DIR: imagesDir, WRENN_REAPER_INTERVAL_MS: "200" } : { WRENN_RUNTIME: "namespace", WRENN_REAPER_INTERVAL_MS: "200" };

  beforeAll(async () => {
    // QEMU: the first start may build the image and always cold-boots the base template.
    agent = await startAgent(env, 900_000);
  }, 900_000);
  afterAll(async () => {
    await agent?.stop();
  });

  test("create → exec through the relay → write/read a file → metrics → destroy leaves nothing", async () => {
    const sandboxId = newSandboxId();
    const t0 = performance.now();
    const { sandbox } = await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: { GREETING: "hello" }, startTimeoutSeconds: 120 });
    expect(sandbox?.state).toBe(SandboxState.SANDBOX_STATE_RUNNING);
    const hello = await exec(agent, sandboxId, "sh", ["-c", "echo $GREETING"]);
    console.log(`[${runtime}] create → first exec output: ${Math.round(performance.now() - t0)} ms`);
    expect(hello.stdout.trim()).toBe("hello");
    // The namespace runtime sets the hostname itself; in a VM envd sets it on Init (a clone starts with the template's).
    expect((await exec(agent, sandboxId, "hostname")).stdout.trim()).toBe(sandboxId);
    // A clone starts with the clock of the moment its template was snapshotted; Init corrects it.
    const guestNow = Number((await exec(agent, sandboxId, "date", ["+%s%3N"])).stdout);
    expect(Math.abs(guestNow - Date.now()), "guest clock is corrected at create").toBeLessThan(2000);
    await agent.files.writeFile((async function* () {
      yield { path: "/tmp/note.txt", data: Buffer.from("written through the agent") };
    })(), forSandbox(sandboxId));
    expect((await exec(agent, sandboxId, "cat", ["/tmp/note.txt"])).stdout).toBe("written through the agent");
    const metrics = await agent.sandboxes.getSandboxMetrics({ sandboxId });
    expect(metrics.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(metrics.cpuSeconds).toBeGreaterThan(0);
    expect(metrics.state).toBe(SandboxState.SANDBOX_STATE_RUNNING);
    await agent.sandboxes.destroySandbox({ sandboxId });
    expect(await leftoversOf(agent.dataDir, sandboxId)).toEqual({ dir: false, mounts: [], processes: [] });
    await expect(exec(agent, sandboxId, "true")).rejects.toMatchObject({ code: Status.NOT_FOUND });
  }, 180_000);

  test("pause → resume keeps a tmpfs file and a background counter that keeps counting, and fixes the clock", async () => {
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 120 });
    await exec(agent, sandboxId, "sh", ["-c", "mkdir -p /dev/shm && echo kept > /dev/shm/marker; (i=0; while true; do i=$((i+1)); echo $i > /tmp/c.next; mv /tmp/c.next /tmp/c; sleep 0.1; done) >/dev/null 2>&1 &"]);
    // Counting has begun (a loaded host may take a while to run the first round).
    const counter = async () => Number((await exec(agent, sandboxId, "cat", ["/tmp/c"])).stdout);
    await expect.poll(counter, { timeout: 10_000, interval: 100, message: "the background counter" }).toBeGreaterThan(0);
    const before = await counter();
    const t0 = performance.now();
    const paused = await agent.sandboxes.pauseSandbox({ sandboxId });
    console.log(`[${runtime}] pause: ${Math.round(performance.now() - t0)} ms`);
    expect(paused.sandbox?.state).toBe(SandboxState.SANDBOX_STATE_PAUSED);
    await expect(exec(agent, sandboxId, "true")).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION });
    const listed = (await agent.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === sandboxId);
    expect(listed?.state).toBe(SandboxState.SANDBOX_STATE_PAUSED);
    // Long enough that a guest clock frozen with the VM would visibly lag.
    await sleep(3000);
    const t1 = performance.now();
    await agent.sandboxes.resumeSandbox({ sandboxId });
    const guestNow = Number((await exec(agent, sandboxId, "date", ["+%s%3N"])).stdout);
    expect(Math.abs(guestNow - Date.now()), "guest clock is corrected after resume").toBeLessThan(2000);
    const afterResume = Number((await exec(agent, sandboxId, "cat", ["/tmp/c"])).stdout);
    console.log(`[${runtime}] resume → first exec: ${Math.round(performance.now() - t1)} ms`);
    expect(afterResume).toBeGreaterThanOrEqual(before);
    expect((await exec(agent, sandboxId, "cat", ["/dev/shm/marker"])).stdout.trim()).toBe("kept");
    await sleep(700);
    expect(Number((await exec(agent, sandboxId, "cat", ["/tmp/c"])).stdout)).toBeGreaterThan(afterResume);
    await agent.sandboxes.destroySandbox({ sandboxId });
    expect(await leftoversOf(agent.dataDir, sandboxId)).toEqual({ dir: false, mounts: [], processes: [] });
  }, 180_000);

  test("20 sandboxes run at once and each answers as itself", async () => {
    const count = Number(process.env[`WRENN_TEST_MANY_${runtime.toUpperCase()}`] ?? 20);
    const ids = Array.from({ length: count }, () => newSandboxId());
    const t0 = performance.now();
    // Four creates in flight at a time: a two-core host restores VMs one core each.
    for (let i = 0; i < ids.length; i += 4) {
      await Promise.all(ids.slice(i, i + 4).map((sandboxId) => agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs: { ME: sandboxId }, startTimeoutSeconds: 300 })));
    }
    console.log(`[${runtime}] ${count} sandboxes created in ${Math.round(performance.now() - t0)} ms`);
    expect((await agent.sandboxes.listSandboxes({})).sandboxes.filter((s) => ids.includes(s.sandboxId)).length).toBe(count);
    const answers = await Promise.all(ids.map(async (id) => (await exec(agent, id, "sh", ["-c", "echo $ME"])).stdout.trim()));
    expect(answers).toEqual(ids);
    let rss = 0;
    for (const sandboxId of ids) rss += (await agent.sandboxes.getSandboxMetrics({ sandboxId })).memoryBytes;
    console.log(`[${runtime}] host memory per sandbox with ${count} alive: ${Math.round(rss / count / 2 ** 20)} MiB`);
    await Promise.all(ids.map((sandboxId) => agent.sandboxes.destroySandbox({ sandboxId })));
    for (const id of ids) expect((await leftoversOf(agent.dataDir, id)).dir).toBe(false);
  }, 600_000);

  test("a cancelled or unknown-template create leaves no directory, mount or process", async () => {
    await expect(agent.sandboxes.createSandbox({ sandboxId: newSandboxId(), templateId: "no-such-template" })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    const sandboxId = newSandboxId();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await expect(agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 120 }, { signal: controller.signal })).rejects.toThrow();
    // The agent unwinds after the caller has gone: give it a moment.
    await expect
      .poll(() => leftoversOf(agent.dataDir, sandboxId), { timeout: 30_000, interval: 200, message: "the abandoned create to be cleaned up" })
      .toEqual({ dir: false, mounts: [], processes: [] });
    expect((await agent.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === sandboxId)).toBeUndefined();
  }, 120_000);

  test("TTL expiry pauses or kills as asked, and says so on WatchEvents", async () => {
    const controller = new AbortController();
    const events = await collectEvents(agent, controller.signal);
    const toPause = newSandboxId();
    const toKill = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId: toPause, templateId: "base", startTimeoutSeconds: 120, timeoutSeconds: 2, onExpiry: ExpiryAction.EXPIRY_ACTION_PAUSE });
    const { sandbox } = await agent.sandboxes.createSandbox({ sandboxId: toKill, templateId: "base", startTimeoutSeconds: 120, timeoutSeconds: 2 });
    expect(sandbox?.expiresAt).toBeInstanceOf(Date);
    await expect
      .poll(() => events.filter((e) => e.sandboxId === toPause || e.sandboxId === toKill).length, { timeout: 60_000, message: "both expiries on WatchEvents" })
      .toBeGreaterThanOrEqual(2);
    controller.abort();
    expect(events.find((e) => e.sandboxId === toPause)?.type).toBe(SandboxEventType.SANDBOX_EVENT_TYPE_AUTO_PAUSED);
    expect(events.find((e) => e.sandboxId === toKill)?.type).toBe(SandboxEventType.SANDBOX_EVENT_TYPE_TTL_KILLED);
    const list = (await agent.sandboxes.listSandboxes({})).sandboxes;
    expect(list.find((s) => s.sandboxId === toPause)?.state).toBe(SandboxState.SANDBOX_STATE_PAUSED);
    expect(list.find((s) => s.sandboxId === toKill)).toBeUndefined();
    expect((await leftoversOf(agent.dataDir, toKill)).dir).toBe(false);
    await agent.sandboxes.destroySandbox({ sandboxId: toPause });
  }, 180_000);

  test("a sandbox killed from outside is reported on WatchEvents and cleaned up", async () => {
    const controller = new AbortController();
    const events = await collectEvents(agent, controller.signal);
    const sandboxId = newSandboxId();
    await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 120 });
    const pids = (await leftoversOf(agent.dataDir, sandboxId)).processes;
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    const event = await vi.waitFor(
      () => events.find((e) => e.sandboxId === sandboxId) ?? Promise.reject(new Error(`no event for ${sandboxId} on WatchEvents yet`)),
      { timeout: 30_000 },
    );
    controller.abort();
    expect(event.type).toBe(SandboxEventType.SANDBOX_EVENT_TYPE_EXITED);
    expect(await leftoversOf(agent.dataDir, sandboxId)).toEqual({ dir: false, mounts: [], processes: [] });
    expect((await agent.sandboxes.listSandboxes({})).sandboxes.find((s) => s.sandboxId === sandboxId)).toBeUndefined();
  }, 120_000);

  if (runtime === "qemu") {
    test("a template from a running sandbox: new sandboxes see its files; it cannot be deleted while used", async () => {
      const source = newSandboxId();
      await agent.sandboxes.createSandbox({ sandboxId: source, templateId: "base", startTimeoutSeconds: 120 });
      await exec(agent, source, "sh", ["-c", "echo from-source > /home/wrenn-user/origin.txt; echo in-ram > /dev/shm/ram.txt"]);
      const t0 = performance.now();
      const made = await agent.sandboxes.createTemplate({ sandboxId: source, templateId: "with-origin", pauseSource: false });
      console.log(`[qemu] template from a running sandbox: ${Math.round(performance.now() - t0)} ms`);
      expect(made.template?.parentTemplateId).toBe("base");
      expect(made.source?.state).toBe(SandboxState.SANDBOX_STATE_RUNNING);
      // The source keeps running and keeps its files.
      expect((await exec(agent, source, "cat", ["/home/wrenn-user/origin.txt"])).stdout.trim()).toBe("from-source");

      const clone = newSandboxId();
      await agent.sandboxes.createSandbox({ sandboxId: clone, templateId: "with-origin", startTimeoutSeconds: 120 });
      expect((await exec(agent, clone, "cat", ["/home/wrenn-user/origin.txt", "/dev/shm/ram.txt"])).stdout).toBe("from-source\nin-ram\n");
      // Fresh identity: the clone's envd took its own id and token (the source's token would be refused by now).
      await exec(agent, clone, "true");
      await exec(agent, clone, "sh", ["-c", "echo clone-only > /home/wrenn-user/clone.txt"]);
      expect((await exec(agent, source, "sh", ["-c", "cat /home/wrenn-user/clone.txt 2>/dev/null || echo absent"])).stdout.trim()).toBe("absent");

      await expect(agent.sandboxes.deleteTemplate({ templateId: "with-origin" })).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION });
      await expect(agent.sandboxes.deleteTemplate({ templateId: "base" })).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION });
      await agent.sandboxes.destroySandbox({ sandboxId: clone });
      await agent.sandboxes.deleteTemplate({ templateId: "with-origin" });
      expect(existsSync(join(agent.dataDir, "templates", "qemu", "with-origin"))).toBe(false);
      // What is left is the base template and the listed base sizes (made on first use).
      expect((await agent.sandboxes.listTemplates({})).templates.map((t) => t.templateId).sort()).toEqual(["base", "base-1x1024", "base-2x4096"]);
      await agent.sandboxes.destroySandbox({ sandboxId: source });
    }, 300_000);
  } else {
    test("templates are refused with a clear reason on the namespace runtime", async () => {
      const sandboxId = newSandboxId();
      await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", startTimeoutSeconds: 60 });
      await expect(agent.sandboxes.createTemplate({ sandboxId, templateId: "nope", pauseSource: false })).rejects.toMatchObject({
        code: Status.FAILED_PRECONDITION,
        details: expect.stringContaining("CRIU"),
      });
      await agent.sandboxes.destroySandbox({ sandboxId });
    });
  }
});

describe("host agent process", () => {
  test("bad configuration stops the start with a message naming the variable", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "wrenn-ha-config-"));
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    await expect(startAgent({ WRENN_DATA_DIR: dataDir, WRENN_RUNTIME: "firecracker", WRENN_DEFAULT_ROOTFS_SIZE: "lots" })).rejects.toThrow(/WRENN_RUNTIME[\s\S]*WRENN_DEFAULT_ROOTFS_SIZE|WRENN_DEFAULT_ROOTFS_SIZE[\s\S]*WRENN_RUNTIME/);
  });

  test("logs go to DATA_DIR/logs/hostagent.log and SIGHUP reopens it after rotation", async () => {
    const agent = await startAgent({ WRENN_RUNTIME: "namespace" });
    try {
      const log = join(agent.dataDir, "logs", "hostagent.log");
      await expect.poll(() => readFile(log, "utf8").catch(() => ""), { timeout: 5_000, message: "the log file" }).toContain('"msg":"listening"');
      await rename(log, `${log}.1`);
      agent.child.kill("SIGHUP");
      await agent.sandboxes.destroySandbox({ sandboxId: newSandboxId() }).catch(() => {});
      await expect.poll(() => readFile(log, "utf8").catch(() => ""), { timeout: 5_000, message: "a new log file after SIGHUP" }).toContain("log file reopened");
      expect(await readFile(`${log}.1`, "utf8")).not.toContain("log file reopened");
    } finally {
      await agent.stop();
    }
  });
});
