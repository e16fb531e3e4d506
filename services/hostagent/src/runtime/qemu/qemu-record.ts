import { access } from "node:fs/promises";
import { join } from "node:path";
import { identify, isSameProcess, type ProcessIdentity } from "../../host/host-process.js";
import { readJson, writeJsonAtomic } from "../../host/state-file.js";
import type { NetworkRecord } from "../../network/sandbox-networks.js";
import type { SandboxHandle, SandboxResources } from "../runtime.js";
import type { MachineSpec } from "./qemu-args.js";

/**
 * runtime.json of a QEMU sandbox: what a restarted agent needs to adopt it.
 * Rewritten (atomically) on every change of state; "paused" means the
 * snapshot (state, snapshot.json) in the directory is the sandbox.
 */
export interface QemuRecord {
  runtime: "qemu";
  sandboxId: string;
  templateId: string;
  startedAt: string;
  state: "running" | "paused";
  /** The running QEMU (absent while paused). */
  vm?: ProcessIdentity;
  /** The machine as restored; a resume restores exactly this again. */
  machine: MachineSpec;
  wrap?: string[];
  envdTarget: string;
  network?: NetworkRecord;
  resources: SandboxResources;
}

export const recordFile = "runtime.json";

export interface RecordInput {
  dir: string;
  handle: SandboxHandle;
  state: "running" | "paused";
  machine: MachineSpec;
  wrap?: string[];
  network?: NetworkRecord;
}

export async function writeQemuRecord(input: RecordInput): Promise<void> {
  const { handle } = input;
  let vm: ProcessIdentity | undefined;
  if (input.state === "running") {
    vm = await identify(handle.pid);
    if (!vm) throw new Error(`QEMU ${handle.pid} is gone`);
  }
  const record: QemuRecord = {
    runtime: "qemu",
    sandboxId: handle.sandboxId,
    templateId: handle.templateId,
    startedAt: handle.startedAt.toISOString(),
    state: input.state,
    vm,
    machine: input.machine,
    wrap: input.wrap,
    envdTarget: handle.envdTarget,
    network: input.network,
    resources: handle.resources,
  };
  await writeJsonAtomic(join(input.dir, recordFile), record);
}

export type RecordStatus = { record: QemuRecord; alive: true } | { record: QemuRecord; alive: false; paused: true } | undefined;

/**
 * Reads a sandbox's record and checks it against what exists: a running
 * sandbox needs its very QEMU (same start time, command line naming the
 * sandbox), a paused one its snapshot files. undefined: not adoptable.
 */
export async function checkQemuRecord(dir: string, sandboxId: string): Promise<RecordStatus> {
  const record = await readJson<QemuRecord>(join(dir, recordFile));
  if (!record || record.runtime !== "qemu" || record.sandboxId !== sandboxId) return undefined;
  if (record.state === "running") {
    if (!record.vm) return undefined;
    const alive = await isSameProcess(record.vm, (args) => args.includes(`wrenn-${sandboxId}`));
    return alive ? { record, alive: true } : undefined;
  }
  const present = (path: string) => access(path).then(() => true, () => false);
  // The snapshot, and the template memory file a restore maps beneath it.
  if ((await present(join(dir, "state"))) && (await present(join(dir, "snapshot.json"))) && (await present(record.machine.memory.path))) return { record, alive: false, paused: true };
  return undefined;
}
