import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@wrenn/shared";
import type { GuestImage } from "../../image/build-image.js";
import { createCleanupStack } from "../../host/cleanup-stack.js";
import type { TemplateDefaults } from "../runtime.js";
import { createDiskOverlay, diskInfo } from "./disk.js";
import { waitEnvdServing } from "../../envd/envd-connection.js";
import { warmUpEnvd } from "./envd-warmup.js";
import { machineSpecFor } from "./machine-spec.js";
import type { SandboxNetworkProvider } from "./network.js";
import type { MachineSpec } from "./qemu-args.js";
import { bootVm } from "./qemu-vm.js";

/**
 * A template is a snapshot: `<dir>/{memory, disk.qcow2, state, snapshot.json,
 * template.json}`. Sandboxes restore it with the memory file mapped
 * copy-on-write and their own disk overlay on top of disk.qcow2, so none of
 * these files may change while a sandbox uses them.
 */
export interface QemuTemplate {
  id: string;
  dir: string;
  memoryPath: string;
  diskPath: string;
  /** The machine the snapshot was taken of (memory, vCPUs, devices). */
  spec: MachineSpec;
  imageHash: string;
  parentId?: string;
  createdAt: Date;
  /** envd token of the sandbox it was snapshotted from; clones present it to their first Init. */
  envdToken?: string;
  /** envd was quiesced (PrepareSnapshot) in the snapshot: clones call AfterRestore. */
  quiesced: boolean;
  /** Virtual size of its disk: its sandboxes' root disk size. */
  diskMiB: number;
  defaults: TemplateDefaults;
  /** Allocated bytes of its own files (measured once: they never change). */
  diskBytes: number;
}

/** template.json: written last (by rename of the whole directory), so its presence means complete. */
export interface TemplateRecord {
  id: string;
  imageHash: string;
  spec: MachineSpec;
  bootMs: number;
  createdAt: string;
  parentId?: string;
  envdToken?: string;
  quiesced?: boolean;
  /** Virtual size of disk.qcow2 (absent in records of older agents: measured on load). */
  diskMiB?: number;
  /** Default user, workdir and env of its sandboxes (absent: root, home, none). */
  defaults?: TemplateDefaults;
  /** How the base template was made; an older recipe is rebuilt (see baseTemplateRecipe). */
  recipe?: number;
}

/** 2: envd is warmed up before the snapshot (see envd-warmup.ts); 3: that warm-up sets envd's token, recorded here. */
export const baseTemplateRecipe = 3;

/** The template the record describes, with its disk's virtual size and allocated bytes measured when the record lacks them. */
export async function loadTemplate(dir: string, record: TemplateRecord): Promise<QemuTemplate> {
  const diskMiB = record.diskMiB ?? Math.floor((await diskInfo(join(dir, "disk.qcow2"))).virtualSize / 2 ** 20);
  return templateFromRecord(dir, { ...record, diskMiB }, await allocatedBytes(dir));
}

/** Bytes the files directly in `dir` take on disk (st_blocks): sparse memory files and qcow2 holes count as what they hold. */
export async function allocatedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st?.isFile()) total += st.blocks * 512;
  }
  return total;
}

function templateFromRecord(dir: string, record: TemplateRecord, diskBytes: number): QemuTemplate {
  return {
    id: record.id,
    dir,
    memoryPath: join(dir, "memory"),
    diskPath: join(dir, "disk.qcow2"),
    spec: record.spec,
    imageHash: record.imageHash,
    parentId: record.parentId,
    createdAt: new Date(record.createdAt),
    envdToken: record.envdToken,
    quiesced: record.quiesced ?? false,
    diskMiB: record.diskMiB ?? 0,
    defaults: { user: record.defaults?.user, workdir: record.defaults?.workdir, envs: { ...(record.defaults?.envs ?? {}) } },
    diskBytes,
  };
}

export async function readTemplateRecord(dir: string): Promise<TemplateRecord> {
  return JSON.parse(await readFile(join(dir, "template.json"), "utf8")) as TemplateRecord;
}

export interface BaseTemplateOptions {
  id: string;
  dir: string;
  image: GuestImage;
  memoryMiB: number;
  vcpus: number;
  network: SandboxNetworkProvider;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Returns the base template, cold-booting the image once to make it: boot,
 * wait for envd to answer, snapshot with RAM in the template's memory file.
 * A template made from another image (or machine size) is rebuilt.
 */
export async function ensureBaseTemplate(options: BaseTemplateOptions): Promise<QemuTemplate> {
  const { dir, image, logger } = options;
  const recordPath = join(dir, "template.json");
  if (existsSync(recordPath)) {
    const record = JSON.parse(await readFile(recordPath, "utf8")) as TemplateRecord;
    if (
      record.imageHash === image.hash &&
      record.spec.memoryMiB === options.memoryMiB &&
      record.spec.vcpus === options.vcpus &&
      record.recipe === baseTemplateRecipe
    ) {
      return loadTemplate(dir, record);
    }
    logger.info({ template: options.id, was: record.imageHash, now: image.hash }, "template is stale; rebuilding");
  }
  const work = `${dir}.building`;
  const log = logger.child({ template: options.id });
  const stack = createCleanupStack(log);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  stack.push("remove template work dir", () => rm(work, { recursive: true, force: true }));
  try {
    const disk = await createDiskOverlay(image.rootfs, join(work, "disk.qcow2"), { signal: options.signal });
    const network = await options.network(`template-${options.id}`, options.signal);
    stack.push("release template network", () => network.release());
    const spec = machineSpecFor(image, {
      memoryMiB: options.memoryMiB,
      vcpus: options.vcpus,
      memoryPath: join(work, "memory"),
      shareMemory: true,
      diskPath: join(work, "disk.qcow2"),
      net: network.net,
    });
    const started = performance.now();
    log.info({ accel: spec.accel, memoryMiB: spec.memoryMiB }, "cold-booting template");
    const vm = await bootVm(spec, { dir: work, logger: log, wrap: network.wrap, name: `wrenn-template-${options.id}`, signal: options.signal });
    stack.push("stop template VM", () => vm.stop());
    await waitTemplateEnvd(network.envdTarget, vm.exited, options.signal);
    const bootMs = Math.round(performance.now() - started);
    const envdToken = await warmUpEnvd(network.envdTarget, log, options.signal);
    const meta = await vm.snapshot(work);
    log.info({ bootMs, stateBytes: meta.stateBytes }, "template snapshot taken");
    await network.release();
    // Paths inside the spec must name the final directory, not the work one.
    const finalSpec: MachineSpec = { ...spec, net: null, memory: { path: join(dir, "memory"), share: false }, disk: { path: join(dir, "disk.qcow2"), format: "qcow2" } };
    const record: TemplateRecord = {
      id: options.id,
      imageHash: image.hash,
      spec: finalSpec,
      bootMs,
      createdAt: new Date().toISOString(),
      envdToken,
      recipe: baseTemplateRecipe,
      diskMiB: Math.floor(disk.virtualSize / 2 ** 20),
      defaults: { envs: {} },
    };
    await writeFile(join(work, "template.json"), JSON.stringify(record, null, 2) + "\n");
    stack.release();
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
    return loadTemplate(dir, record);
  } catch (err) {
    await stack.unwind();
    throw err;
  }
}

const coldBootTimeoutMs = 180_000;

/** Waits for the cold-booted template's envd to answer; fails at once if its VM exits first. */
async function waitTemplateEnvd(target: string, vmExited: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  const exited = new AbortController();
  void vmExited.then(() => exited.abort(new Error("the VM exited before envd became healthy")));
  const timeout = AbortSignal.timeout(coldBootTimeoutMs);
  try {
    await waitEnvdServing(target, AbortSignal.any([timeout, exited.signal, ...(signal ? [signal] : [])]));
  } catch (err) {
    if (timeout.aborted && !signal?.aborted) throw new Error(`envd at ${target} not healthy within ${coldBootTimeoutMs} ms`, { cause: err });
    throw err;
  }
}
