import { chmod, mkdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { errors, runCommand, type Logger } from "@wrenn/shared";
import { readJson, writeJsonAtomic } from "../../host/state-file.js";
import type { CheckpointInfo } from "../runtime.js";
import { diskInfo } from "./disk.js";
import type { Running } from "./qemu-running.js";
import type { SnapshotMeta } from "./qemu-vm.js";

/**
 * A checkpoint directory: `state` + `snapshot.json` (RAM and device state,
 * as a pause writes them), `disk.qcow2` (a copy of the sandbox's overlay,
 * still backed by its template's disk) and `checkpoint-machine.json` (which
 * template a restore maps beneath it). The sandbox layer adds its own
 * checkpoint.json.
 */
export interface CheckpointMachine {
  templateId: string;
  diskMiB: number;
}

const machineFile = "checkpoint-machine.json";

export function readCheckpointMachine(dir: string): Promise<CheckpointMachine | undefined> {
  return readJson<CheckpointMachine>(join(dir, machineFile));
}

/** Copies a qcow2 file keeping its holes (a plain copy would allocate every cluster the filesystem reports). */
export async function copySparse(from: string, to: string, signal?: AbortSignal): Promise<void> {
  await runCommand(["cp", "--sparse=always", from, to], { signal });
  await chmod(to, 0o600);
}

/**
 * Saves a running sandbox into `dir` and lets it run on: the vCPUs stop,
 * RAM and device state migrate into `dir/state` (the sandbox's RAM is a
 * private map, so all of it goes into the stream), the disk overlay is
 * copied while nothing writes to it (the migration flushed it), and `cont`
 * takes the block device back and runs the guest again, on every path.
 */
export async function checkpointSandbox(entry: Running, dir: string, logger: Logger, signal: AbortSignal): Promise<CheckpointInfo> {
  const vm = entry.vm;
  if (!vm || entry.paused) throw errors.failedPrecondition(`sandbox ${entry.handle.sandboxId} is paused; resume it first`);
  const started = performance.now();
  await mkdir(dirname(dir), { recursive: true });
  // Not recursive: the directory must be new, so a failure may remove it whole.
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw errors.alreadyExists(`checkpoint directory ${dir} already exists`);
    throw err;
  }
  try {
    let meta: SnapshotMeta | undefined;
    try {
      meta = await vm.saveState(dir, { signal });
      await copySparse(join(entry.dir, "disk.qcow2"), join(dir, "disk.qcow2"), signal);
    } finally {
      // The VM runs on whatever happened (saveState itself continues it when it fails).
      if (meta !== undefined) await vm.resume();
    }
    const disk = await diskInfo(join(dir, "disk.qcow2"));
    const diskMiB = Math.floor(disk.virtualSize / 2 ** 20);
    await writeJsonAtomic(join(dir, machineFile), { templateId: entry.handle.templateId, diskMiB } satisfies CheckpointMachine, 0o600);
    signal.throwIfAborted();
    const diskBytes = (await stat(join(dir, "disk.qcow2"))).blocks * 512;
    const info: CheckpointInfo = { dir, templateId: entry.handle.templateId, diskMiB, stateBytes: meta.stateBytes, diskBytes, ms: Math.round(performance.now() - started) };
    logger.info({ sandboxId: entry.handle.sandboxId, ms: info.ms, stateBytes: info.stateBytes, diskBytes }, "checkpoint taken");
    return info;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Grows the running sandbox's disk device; the guest sees the new capacity at once (virtio-blk config change). */
export async function growSandboxDisk(entry: Running, diskMiB: number): Promise<number> {
  const vm = entry.vm;
  if (!vm || entry.paused) throw errors.failedPrecondition(`sandbox ${entry.handle.sandboxId} is paused; resume it first`);
  if (!Number.isInteger(diskMiB) || diskMiB < 1 || diskMiB > maxDiskMiB) throw errors.invalidArgument(`disk size must be 1 to ${maxDiskMiB} MiB, got ${diskMiB}`);
  const current = await diskInfo(join(entry.dir, "disk.qcow2"));
  const currentMiB = Math.floor(current.virtualSize / 2 ** 20);
  if (diskMiB < currentMiB) throw errors.invalidArgument(`disk is ${currentMiB} MiB and cannot shrink to ${diskMiB} MiB`);
  if (diskMiB === currentMiB) return currentMiB;
  await vm.qmp.execute("block_resize", { device: "root", size: diskMiB * 2 ** 20 });
  return diskMiB;
}

/** 1 TiB: a qcow2 overlay costs nothing until written, but a typo must not make a disk the host can never hold. */
const maxDiskMiB = 1024 * 1024;
