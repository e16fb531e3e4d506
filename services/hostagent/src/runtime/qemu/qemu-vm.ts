import { existsSync } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@wrenn/shared";
import { qemuArgs, type MachineSpec, type ProcessFiles } from "./qemu-args.js";
import type { ProcessIdentity } from "../../host/host-process.js";
import { adoptQemuProcess, spawnQemu, type QemuExit, type QemuProcess } from "./qemu-process.js";
import { connectQmp, type QmpClient } from "./qmp-client.js";

/**
 * One QEMU microVM, driven over QMP. A VM lives in its own directory (QMP
 * socket, serial log, pid file); the caller owns that directory, its disk
 * overlay and memory file, and removes them with its cleanup stack.
 */
export interface VmOptions {
  /** The VM's own directory; must exist. */
  dir: string;
  logger: Logger;
  binary?: string;
  wrap?: string[];
  /** Default true (template builds); sandbox VMs pass false so they outlive the agent. */
  dieWithParent?: boolean;
  /** Shown by `ps` and in QEMU's errors. */
  name?: string;
  signal?: AbortSignal;
}

/** Written beside a snapshot's device state: what a restore must match. */
export interface SnapshotMeta {
  /** The RAM block was skipped (x-ignore-shared): memory lives in the memory file. */
  ignoreShared: boolean;
  memoryMiB: number;
  vcpus: number;
  memoryPath: string;
  diskPath: string;
  /** "user" (slirp state is in the snapshot), "tap" or "none": a restore must use the same kind. */
  netKind: "user" | "tap" | "none";
  savedAt: string;
  stateBytes: number;
}

export interface VmStats {
  /** CPU time QEMU used so far (user + system), seconds. */
  cpuSeconds: number;
  rssBytes: number;
}

export interface QemuVm {
  readonly pid: number;
  readonly dir: string;
  readonly spec: MachineSpec;
  readonly qmp: QmpClient;
  /** Resolves when QEMU exits, for whatever reason. */
  readonly exited: Promise<QemuExit & { expected: boolean }>;
  /** Listener for exits nobody asked for (crash, guest poweroff, kill -9). */
  onUnexpectedExit(listener: (exit: QemuExit) => void): () => void;
  /** Freezes the vCPUs in place (QEMU keeps running). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /**
   * Saves device state (and RAM unless it lives in a shared memory file) to
   * `dir/state`, then QEMU quits. The disk overlay and memory file stay where
   * they are and belong to the snapshot from now on.
   */
  snapshot(snapshotDir: string, options?: { timeoutMs?: number }): Promise<SnapshotMeta>;
  /**
   * Like snapshot, but QEMU stays, stopped: the caller copies the disk and
   * then calls resume (QEMU 7.2's `cont` after a completed outgoing migration
   * takes the block devices back). Failure resumes the VM.
   */
  saveState(snapshotDir: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<SnapshotMeta>;
  /** Quits QEMU (QMP quit, then SIGKILL); resolves when the process is gone. */
  stop(): Promise<void>;
  /** Lets go of a VM that keeps running after the agent stops: QMP closed, exit no longer watched. */
  detach(): void;
  stats(): Promise<VmStats>;
}

const stateFileName = "state";
const metaFileName = "snapshot.json";

function processFiles(dir: string): ProcessFiles {
  return { qmpSocket: join(dir, "qmp.sock"), serialLog: join(dir, "console.log"), pidFile: join(dir, "qemu.pid"), stderrLog: join(dir, "qemu.log") };
}

function assertNoCommas(spec: MachineSpec) {
  // QEMU's option syntax splits on commas; our paths never need them.
  for (const path of [spec.memory.path, spec.kernel, spec.initrd, spec.disk.path]) {
    if (path.includes(",")) throw new Error(`path ${JSON.stringify(path)} contains a comma, which QEMU options cannot take`);
  }
}

async function start(spec: MachineSpec, options: VmOptions, incoming: boolean): Promise<QemuVm> {
  assertNoCommas(spec);
  const files = processFiles(options.dir);
  await rm(files.qmpSocket, { force: true });
  const proc = spawnQemu({
    binary: options.binary ?? "qemu-system-x86_64",
    args: qemuArgs(spec, files, { incoming, name: options.name }),
    cwd: options.dir,
    wrap: options.wrap,
    dieWithParent: options.dieWithParent ?? true,
    stderrFile: files.stderrLog,
  });
  const onAbort = () => proc.kill();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const qmp = await connectQmp(files.qmpSocket, { timeoutMs: 10_000, alive: proc.alive });
    return createVm(spec, options, proc, qmp);
  } catch (err) {
    proc.kill();
    const exit = await proc.exited;
    if (options.signal?.aborted) throw options.signal.reason;
    throw new Error(`QEMU failed to start: ${err instanceof Error ? err.message : String(err)}${exit.stderrTail ? `\n${exit.stderrTail}` : ""}`);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Takes over a VM an earlier run of the agent started (its QMP socket accepts
 * a new client once the old one is gone). Rejects when QMP does not answer.
 */
export async function adoptVm(spec: MachineSpec, options: VmOptions, identity: ProcessIdentity): Promise<QemuVm> {
  const files = processFiles(options.dir);
  const proc = adoptQemuProcess(identity, files.stderrLog);
  try {
    const qmp = await connectQmp(files.qmpSocket, { timeoutMs: 5000, alive: proc.alive });
    return createVm(spec, options, proc, qmp);
  } catch (err) {
    proc.detach();
    throw err;
  }
}

/** Cold-boots a VM. Resolves once QMP answers; readiness of the guest (envd) is the caller's check. */
export function bootVm(spec: MachineSpec, options: VmOptions): Promise<QemuVm> {
  return start(spec, options, false);
}

/**
 * Restores a snapshot into a new QEMU and lets it run. `spec` must describe
 * the same machine (vCPUs, memory size, devices); its memory file is the
 * snapshot's (share=true resumes in place; share=false maps it copy-on-write,
 * so many clones can start from one template file) and its disk is the
 * snapshot's overlay or a new overlay on top of it.
 */
export async function restoreVm(spec: MachineSpec, snapshotDir: string, options: VmOptions & { timeoutMs?: number }): Promise<QemuVm> {
  const meta = await readSnapshotMeta(snapshotDir);
  if (meta.memoryMiB !== spec.memoryMiB || meta.vcpus !== spec.vcpus) {
    throw new Error(`snapshot has ${meta.vcpus} vCPUs and ${meta.memoryMiB} MiB; the restore asked for ${spec.vcpus} and ${spec.memoryMiB}`);
  }
  const netKind = spec.net?.kind ?? "none";
  // QEMU's slirp saves its own section, so user networking and TAP snapshots are not interchangeable.
  if (meta.netKind && meta.netKind !== netKind) {
    throw new Error(`snapshot was taken with ${meta.netKind} networking and cannot be restored with ${netKind}: boot the template with the sandboxes' network kind`);
  }
  const vm = await start(spec, options, true);
  try {
    if (meta.ignoreShared) {
      await vm.qmp.execute("migrate-set-capabilities", { capabilities: [{ capability: "x-ignore-shared", state: true }] });
    }
    const stateFile = join(snapshotDir, stateFileName);
    await vm.qmp.execute("migrate-incoming", { uri: `exec:cat ${shellQuote(stateFile)}` });
    await waitMigration(vm.qmp, options.timeoutMs ?? 10 * 60_000, options.signal);
    await vm.qmp.execute("cont");
    return vm;
  } catch (err) {
    await vm.stop();
    const { stderrTail } = await vm.exited;
    if (options.signal?.aborted) throw options.signal.reason;
    throw new Error(`restore failed: ${err instanceof Error ? err.message : String(err)}${stderrTail ? `\n${stderrTail}` : ""}`);
  }
}

export async function readSnapshotMeta(snapshotDir: string): Promise<SnapshotMeta> {
  return JSON.parse(await readFile(join(snapshotDir, metaFileName), "utf8")) as SnapshotMeta;
}

/** Polls query-migrate: completion is reported there whether or not migration events are enabled. */
async function waitMigration(qmp: QmpClient, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (true) {
    signal?.throwIfAborted();
    const info = await qmp.execute<{ status?: string; "error-desc"?: string }>("query-migrate");
    if (info.status === "completed") return;
    if (info.status === "failed" || info.status === "cancelled") throw new Error(`migration ${info.status}: ${info["error-desc"] ?? "no detail"}`);
    if (Date.now() > deadline) throw new Error(`migration not completed within ${timeoutMs} ms (status ${info.status})`);
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
}

function shellQuote(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

function createVm(spec: MachineSpec, options: VmOptions, proc: QemuProcess, qmp: QmpClient): QemuVm {
  let expected = false;
  const listeners = new Set<(exit: QemuExit) => void>();
  const exited = proc.exited.then((exit) => {
    qmp.close();
    if (!expected) {
      options.logger.warn({ pid: proc.pid, code: exit.code, signal: exit.signal, stderr: exit.stderrTail }, "QEMU exited unexpectedly");
      for (const listener of listeners) listener(exit);
    }
    return { ...exit, expected };
  });

  /** Stops the vCPUs and migrates device state (and RAM unless shared) into `snapshotDir/state`; QEMU stays, stopped. On failure it runs again. */
  async function save(snapshotDir: string, timeoutMs: number, signal?: AbortSignal): Promise<SnapshotMeta> {
    const stateFile = join(snapshotDir, stateFileName);
    const partial = `${stateFile}.partial`;
    await rm(stateFile, { force: true });
    await qmp.execute("stop");
    const ignoreShared = spec.memory.share;
    try {
      await qmp.execute("migrate-set-capabilities", { capabilities: [{ capability: "x-ignore-shared", state: ignoreShared }] });
      // The default cap is 32 MiB/s; the VM is stopped, so go as fast as the disk allows.
      await qmp.execute("migrate-set-parameters", { "max-bandwidth": 64 * 2 ** 30 });
      // mv after cat: the state file only appears once cat has written everything. The state is guest
      // RAM (env values in clear): owner-only, even from a QEMU adopted from an agent that started it otherwise.
      await qmp.execute("migrate", {
        uri: `exec:umask 077 && cat > ${shellQuote(partial)} && mv ${shellQuote(partial)} ${shellQuote(stateFile)}`,
      });
      await waitMigration(qmp, timeoutMs, signal);
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(stateFile)) {
        signal?.throwIfAborted();
        if (Date.now() > deadline) throw new Error("state file not written");
        await sleep(1);
      }
    } catch (err) {
      await qmp.execute("migrate_cancel").catch(() => {});
      await qmp.execute("cont").catch(() => {});
      await rm(partial, { force: true });
      await rm(stateFile, { force: true });
      throw err;
    }
    const meta: SnapshotMeta = {
      ignoreShared,
      memoryMiB: spec.memoryMiB,
      vcpus: spec.vcpus,
      memoryPath: spec.memory.path,
      diskPath: spec.disk.path,
      netKind: spec.net?.kind ?? "none",
      savedAt: new Date().toISOString(),
      stateBytes: (await stat(stateFile)).size,
    };
    await writeFile(join(snapshotDir, `${metaFileName}.tmp`), JSON.stringify(meta, null, 2) + "\n", { mode: 0o600 });
    await rename(join(snapshotDir, `${metaFileName}.tmp`), join(snapshotDir, metaFileName));
    return meta;
  }

  const vm: QemuVm = {
    pid: proc.pid,
    dir: options.dir,
    spec,
    qmp,
    exited,
    onUnexpectedExit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async pause() {
      await qmp.execute("stop");
    },
    async resume() {
      await qmp.execute("cont");
    },
    async snapshot(snapshotDir, snapshotOptions = {}) {
      // The exit that follows the migration is ours.
      expected = true;
      let meta: SnapshotMeta;
      try {
        meta = await save(snapshotDir, snapshotOptions.timeoutMs ?? 10 * 60_000);
      } catch (err) {
        expected = false;
        throw err;
      }
      await qmp.execute("quit").catch(() => {});
      await vm.stop();
      return meta;
    },
    saveState(snapshotDir, saveOptions = {}) {
      return save(snapshotDir, saveOptions.timeoutMs ?? 10 * 60_000, saveOptions.signal);
    },
    async stop() {
      expected = true;
      if (proc.alive()) {
        await qmp.execute("quit", undefined, 2000).catch(() => {});
        const quit = await Promise.race([proc.exited.then(() => true), sleep(3000).then(() => false)]);
        if (!quit) proc.kill("SIGKILL");
      }
      await exited;
    },
    detach() {
      expected = true;
      proc.detach();
      qmp.close();
    },
    async stats() {
      const statLine = await readFile(`/proc/${proc.pid}/stat`, "utf8");
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const fields = statLine.slice(statLine.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(fields[11]) + Number(fields[12]);
      const status = await readFile(`/proc/${proc.pid}/status`, "utf8");
      const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      return { cpuSeconds: ticks / 100, rssBytes: rssKb * 1024 };
    },
  };
  return vm;
}
