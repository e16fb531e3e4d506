import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCommand, toWireId } from "@wrenn/shared";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { buildImage } from "../../src/image/build-image.js";
import { loadImageConfig } from "../../src/image/image-config.js";
import { createProgress } from "../../src/image/progress.js";
import { createQemuRuntime } from "../../src/runtime/qemu/index.js";
import { createSandboxManager, type SandboxManager } from "../../src/sandbox/sandbox-manager.js";
import type { EnvdConnection } from "../../src/envd/envd-connection.js";
import { logger, ms } from "./guest-helpers.js";

/**
 * The sandbox layer's build primitives on real QEMU (TCG): template sizes
 * and defaults, checkpoints (the source runs on; a restore has its files and
 * processes), disk growth, templates made from checkpoints with a flattened
 * disk, internal sandboxes, and failures that leave nothing behind.
 */
let dataDir: string;
let runtime: ReturnType<typeof createQemuRuntime>;
let manager: SandboxManager;
const sandboxesDir = () => join(dataDir, "sandboxes");
const templatesDir = () => join(dataDir, "templates");
const newSandboxId = () => toWireId("sb", randomUUID());
const newTemplateId = () => toWireId("tpl", randomUUID());

function makeAgent() {
  runtime = createQemuRuntime({ sandboxesDir: sandboxesDir(), templatesDir: templatesDir(), image, logger });
  manager = createSandboxManager(runtime, logger, { defaultTtlSeconds: 0, reaperIntervalMs: 1000, sandboxesDir: sandboxesDir() });
}

let image: Awaited<ReturnType<typeof buildImage>>;

beforeAll(async () => {
  image = await buildImage({ ...loadImageConfig(), progress: createProgress(logger) });
  dataDir = await mkdtemp(join(tmpdir(), "wrenn-bp-"));
  makeAgent();
  await runtime.prepare();
}, 600_000);

afterAll(async () => {
  await manager?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface RunResult {
  stdout: string;
  exitCode: number;
}

/** Runs a command through the agent's own envd connection; user and cwd unset take the sandbox's defaults. */
async function run(conn: EnvdConnection, script: string, options: { user?: string; envs?: Record<string, string> } = {}): Promise<RunResult> {
  const processes = conn.client(ProcessServiceDefinition);
  let stdout = "";
  let exitCode = -1;
  const stream = processes.start({ process: { cmd: "/bin/sh", args: ["-c", script], envs: options.envs ?? {}, user: options.user }, timeoutMs: 0, background: false }, { signal: AbortSignal.timeout(60_000) });
  for await (const response of stream) {
    const event = response.event;
    if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout).toString();
    if (event?.data?.stderr) stdout += Buffer.from(event.data.stderr).toString();
    if (event?.end) exitCode = event.end.exitCode;
  }
  return { stdout: stdout.trim(), exitCode };
}

/** A process that outlives the call (background), counting into /tmp/count every 200 ms. */
async function startCounter(conn: EnvdConnection): Promise<void> {
  const processes = conn.client(ProcessServiceDefinition);
  const abort = new AbortController();
  const stream = processes.start(
    { process: { cmd: "/bin/sh", args: ["-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done"], envs: {}, user: "root" }, tag: "counter", timeoutMs: 0, background: true },
    { signal: abort.signal },
  );
  for await (const response of stream) if (response.event?.start) break;
  abort.abort();
}

/** The counter advances: read twice with a pause between. */
/**
 * Whether the counter loop still counts: a later reading above an earlier one within 15 s. A reading
 * may catch the file between the shell's truncate and write (empty), and a restored guest under
 * load may take a while to run it again, so readings are retried rather than taken twice.
 */
async function counterRuns(conn: EnvdConnection): Promise<boolean> {
  const read = async () => Number((await run(conn, "cat /tmp/count")).stdout) || 0;
  const deadline = Date.now() + 15_000;
  let first = 0;
  while (Date.now() < deadline) {
    const now = await read();
    if (first > 0 && now > first) return true;
    if (first === 0) first = now;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function create(templateId: string, extra: { internal?: boolean; fromCheckpoint?: string; envs?: Record<string, string> } = {}) {
  return manager.create({ sandboxId: newSandboxId(), templateId, envs: extra.envs ?? {}, startTimeoutSeconds: 300, internal: extra.internal, fromCheckpoint: extra.fromCheckpoint }, AbortSignal.timeout(600_000));
}

/** QEMU processes working in this test's data dir. */
async function qemuPids(): Promise<string[]> {
  const pids: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const args = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (args.startsWith("qemu-system") && args.includes(dataDir)) pids.push(pid);
  }
  return pids;
}

describe("build primitives (QEMU)", () => {
  test("base-1x1024 is made on first use and gives 1 vCPU and 1024 MiB; any valid size is accepted, bad ones are not", async () => {
    expect(runtime.templates()).toEqual(expect.arrayContaining(["base", "base-1x1024", "base-2x4096"]));
    expect(runtime.hasTemplate("base-1x1536")).toBe(true);
    for (const bad of ["base-0x1024", "base-1x1000", "base-64x1024", "base-1x128", "base-01x1024"]) expect(runtime.hasTemplate(bad)).toBe(false);
    await expect(create("base-1x1000")).rejects.toThrow(/not found/);
    const started = performance.now();
    const sb = await create("base-1x1024");
    console.log(`[build-primitives] base-1x1024 first create (cold boot + snapshot + restore): ${ms(performance.now() - started)}`);
    expect(sb.resources).toMatchObject({ vcpus: 1, memoryMiB: 1024 });
    const conn = manager.envd(sb.sandboxId);
    expect((await run(conn, "nproc")).stdout).toBe("1");
    const memKb = Number(/MemTotal:\s+(\d+)/.exec((await run(conn, "cat /proc/meminfo")).stdout)?.[1]);
    expect(memKb / 1024).toBeGreaterThan(900);
    expect(memKb / 1024).toBeLessThanOrEqual(1024);
    const info = manager.templates().find((t) => t.id === "base-1x1024");
    expect(info).toMatchObject({ vcpus: 1, memoryMiB: 1024, defaults: { envs: {} } });
    expect(info!.diskMiB).toBeGreaterThan(1000);
    expect(info!.diskBytes).toBeGreaterThan(0);
    await manager.destroy(sb.sandboxId);
  }, 600_000);

  test("checkpoint: the source runs on; a sandbox from the checkpoint has its files and process; the disk grows; a template from a checkpoint is flat, has its defaults and files", async () => {
    const source = await create("base", { internal: true });
    expect(manager.list().map((s) => s.sandboxId)).not.toContain(source.sandboxId);
    expect(() => manager.envdClient(source.sandboxId)).toThrow(/not found/);
    expect(manager.portReach(source.sandboxId)).toBeUndefined();
    const conn = manager.envd(source.sandboxId);
    expect((await run(conn, "echo before > /root/marker && mkdir -p /home/wrenn-user/app && chown wrenn-user /home/wrenn-user/app && echo ok")).stdout).toBe("ok");
    await startCounter(conn);

    const ckDir = join(dataDir, "checkpoints", "one");
    const ck = await manager.checkpoint(source.sandboxId, ckDir, AbortSignal.timeout(600_000));
    console.log(`[build-primitives] checkpoint: ${ck.ms} ms, state ${ck.stateBytes} B, disk copy ${ck.diskBytes} B`);
    expect(ck).toMatchObject({ dir: ckDir, templateId: "base" });
    expect(existsSync(join(ckDir, "checkpoint.json"))).toBe(true);
    await expect(manager.checkpoint(source.sandboxId, ckDir, AbortSignal.timeout(60_000))).rejects.toThrow(/already exists/);
    // The source runs on: its envd answers, the file is there, the counter counts.
    expect((await run(conn, "cat /root/marker")).stdout).toBe("before");
    expect(await counterRuns(conn)).toBe(true);
    expect((await run(conn, "echo after > /root/later && echo ok")).stdout).toBe("ok");

    const restoredAt = performance.now();
    const copy = await create("base", { fromCheckpoint: ckDir });
    console.log(`[build-primitives] create from checkpoint: ${ms(performance.now() - restoredAt)}`);
    const copyConn = manager.envd(copy.sandboxId);
    expect((await run(copyConn, "cat /root/marker; test -e /root/later && echo later-too || echo no-later")).stdout).toBe("before\nno-later");
    expect(await counterRuns(copyConn)).toBe(true);
    await manager.destroy(copy.sandboxId);

    // Disk growth: the device grows at once, resize2fs grows the filesystem.
    const dfBefore = Number((await run(conn, "df -m / | awk 'NR==2{print $2}'")).stdout);
    await manager.growDisk(source.sandboxId, ck.diskMiB + 1024);
    expect((await run(conn, "resize2fs /dev/vda >/dev/null 2>&1; echo $?")).stdout).toBe("0");
    const dfAfter = Number((await run(conn, "df -m / | awk 'NR==2{print $2}'")).stdout);
    expect(dfAfter).toBeGreaterThan(dfBefore + 900);
    await expect(manager.growDisk(source.sandboxId, 10)).rejects.toThrow(/cannot shrink/);

    // A second checkpoint (bigger disk, trimmed), then a template from it.
    await run(conn, "fstrim / || true");
    const ck2Dir = join(dataDir, "checkpoints", "two");
    const ck2 = await manager.checkpoint(source.sandboxId, ck2Dir, AbortSignal.timeout(600_000));
    expect(ck2.diskMiB).toBe(ck.diskMiB + 1024);
    await manager.destroy(source.sandboxId);

    const templateId = newTemplateId();
    const defaults = { user: "wrenn-user", workdir: "/home/wrenn-user/app", envs: { GREETING: "hello", BOTH: "template" } };
    const tplAt = performance.now();
    const tpl = await manager.templateFromCheckpoint(ck2Dir, templateId, defaults, AbortSignal.timeout(600_000));
    const tplMs = Math.round(performance.now() - tplAt);
    const disk = JSON.parse((await runCommand(["qemu-img", "info", "--output=json", "-U", join(templatesDir(), templateId, "disk.qcow2")])).stdout) as Record<string, unknown>;
    const overlayChain = (await runCommand(["du", "-B1", "-s", join(ck2Dir, "disk.qcow2"), join(image.rootfs)])).stdout;
    console.log(`[build-primitives] templateFromCheckpoint: ${tplMs} ms; flattened disk ${disk["actual-size"] as number} B vs overlay chain (overlay + base rootfs) ${overlayChain.replace(/\s+/g, " ")}; template ${tpl.diskBytes} B on disk`);
    expect(disk["backing-filename"]).toBeUndefined();
    expect(tpl).toMatchObject({ id: templateId, diskMiB: ck.diskMiB + 1024, defaults, vcpus: 2, memoryMiB: 1024 });
    expect("envdToken" in tpl).toBe(false);
    expect(tpl.diskBytes).toBeGreaterThan(0);
    // The checkpoint is left as it was.
    expect((await readdir(ck2Dir)).sort()).toEqual(expect.arrayContaining(["checkpoint.json", "disk.qcow2", "snapshot.json", "state"]));

    const clone = await create(templateId, { envs: { BOTH: "create" } });
    expect(clone.resources.diskMiB).toBe(ck.diskMiB + 1024);
    const cloneConn = manager.envd(clone.sandboxId);
    expect((await run(cloneConn, 'echo "$(id -un) $(pwd) $GREETING $BOTH"')).stdout).toBe("wrenn-user /home/wrenn-user/app hello create");
    expect((await run(cloneConn, "cat /root/marker", { user: "root" })).stdout).toBe("before");
    expect(await counterRuns(cloneConn)).toBe(true);
    expect(Number((await run(cloneConn, "df -m / | awk 'NR==2{print $2}'")).stdout)).toBeGreaterThan(dfBefore + 900);
    await manager.destroy(clone.sandboxId);
    await manager.deleteTemplate(templateId);
  }, 900_000);

  test("a template from a checkpoint that fails or is aborted leaves no directory, VM or template", async () => {
    const source = await create("base", { internal: true });
    const ckDir = join(dataDir, "checkpoints", "abort");
    await manager.checkpoint(source.sandboxId, ckDir, AbortSignal.timeout(600_000));
    await manager.destroy(source.sandboxId);
    const before = await qemuPids();
    // Aborted while the disk is flattened (its work dir has appeared), and later while its VM
    // restores or snapshots (the template's QEMU is running). Timers would race an idle machine,
    // where the whole template takes a few hundred milliseconds.
    const flattening = (templateId: string) => async () => (await readdir(templatesDir())).includes(`${templateId}.building`);
    const restoring = () => async () => (await qemuPids()).length > before.length;
    for (const reached of [flattening, restoring]) {
      const templateId = newTemplateId();
      const abort = new AbortController();
      const making = manager.templateFromCheckpoint(ckDir, templateId, { envs: {} }, abort.signal);
      const settled = making.then(() => true, () => true);
      const when = reached(templateId);
      while (!(await Promise.race([settled, when()]))) await new Promise((r) => setTimeout(r, 2));
      abort.abort(new Error("aborted by the test"));
      await expect(making).rejects.toThrow();
      expect(manager.templates().map((t) => t.id)).not.toContain(templateId);
      expect((await readdir(templatesDir())).filter((n) => n.startsWith(templateId))).toEqual([]);
      expect(await qemuPids()).toEqual(before);
    }
    // A taken id or a directory that is no checkpoint are refused before anything is made.
    await expect(manager.templateFromCheckpoint(join(dataDir, "nowhere"), newTemplateId(), { envs: {} }, AbortSignal.timeout(60_000))).rejects.toThrow(/no checkpoint/);
    await expect(manager.templateFromCheckpoint(ckDir, "base-1x1024", { envs: {} }, AbortSignal.timeout(60_000))).rejects.toThrow(/already exists/);
    await rm(ckDir, { recursive: true, force: true });
  }, 600_000);

  test("internal sandboxes are destroyed, not adopted, when the agent restarts, and reported to nobody", async () => {
    const internal = await create("base", { internal: true });
    const visible = await create("base");
    expect(manager.list().map((s) => s.sandboxId)).toEqual([visible.sandboxId]);
    await manager.close("keep");
    makeAgent();
    const recovered = await runtime.recover();
    const { adopted, lost } = await manager.adopt(recovered);
    expect(adopted).toEqual([visible.sandboxId]);
    expect(lost).toEqual([]);
    expect(existsSync(join(sandboxesDir(), internal.sandboxId))).toBe(false);
    expect(manager.events.recent().map((e) => e.sandboxId)).not.toContain(internal.sandboxId);
    expect(manager.list().map((s) => s.sandboxId)).toEqual([visible.sandboxId]);
    await runtime.prepare();
    await manager.destroy(visible.sandboxId);
    expect(await qemuPids()).toEqual([]);
  }, 600_000);
});
