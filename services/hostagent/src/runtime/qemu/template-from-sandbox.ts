import { chmod, copyFile, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createCleanupStack } from "../../host/cleanup-stack.js";
import { runCommand, type Logger } from "@wrenn/shared";
import type { TemplateDefaults } from "../runtime.js";
import { loadTemplate, type QemuTemplate, type TemplateRecord } from "./base-template.js";
import type { SandboxNetworkProvider } from "./network.js";
import type { MachineSpec } from "./qemu-args.js";
import { restoreVm } from "./qemu-vm.js";

export interface TemplateFromSandboxOptions {
  id: string;
  /** Final template directory (must not exist yet). */
  dir: string;
  /** The paused sandbox's directory: state, snapshot.json, disk.qcow2. */
  sourceDir: string;
  /** The machine the sandbox was restored as. */
  sourceMachine: MachineSpec;
  /** The template the source's disk is backed by; undefined once flattened. */
  parentId?: string;
  imageHash: string;
  defaults: TemplateDefaults;
  /** Virtual size of the source's disk. */
  diskMiB: number;
  /** "copy": the source's overlay as it is (backed by the parent's disk); "flatten": one image without backing file. */
  disk: "copy" | "flatten";
  envdToken?: string;
  quiesced: boolean;
  network: SandboxNetworkProvider;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Turns a paused sandbox into a template. The sandbox's RAM is a private
 * copy-on-write map of its own template's memory file, so its pause
 * snapshot carries the whole RAM in the state stream. Clones need RAM in a
 * file they can map copy-on-write, so we restore that snapshot once into a
 * QEMU whose RAM is a fresh shared file (the migration writes every page
 * into it), then snapshot again with x-ignore-shared: the template is that
 * memory file plus a small device state. The disk is a copy of the
 * sandbox's qcow2 overlay (only its own writes; it keeps the parent
 * template's disk as backing file, hence the parent's refcount).
 */
export async function templateFromSandbox(options: TemplateFromSandboxOptions): Promise<QemuTemplate> {
  const { dir, logger } = options;
  const log = logger.child({ template: options.id });
  const work = `${dir}.building`;
  const stack = createCleanupStack(log);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true, mode: 0o700 });
  stack.push("remove template work dir", () => rm(work, { recursive: true, force: true }));
  try {
    const started = performance.now();
    if (options.disk === "flatten") {
      // Zero clusters are skipped, so a trimmed guest filesystem gives a compact image.
      await runCommand(["qemu-img", "convert", "-q", "-O", "qcow2", join(options.sourceDir, "disk.qcow2"), join(work, "disk.qcow2")], { signal: options.signal });
    } else {
      await copyFile(join(options.sourceDir, "disk.qcow2"), join(work, "disk.qcow2"));
    }
    // The sandbox's own disk writes; its RAM goes into `memory`, made 0600 by QEMU's umask (qemu-process.ts).
    await chmod(join(work, "disk.qcow2"), 0o600);
    const network = await options.network(`template-${options.id}`, options.signal);
    stack.push("release template network", () => network.release());
    const spec: MachineSpec = {
      ...options.sourceMachine,
      memory: { path: join(work, "memory"), share: true },
      disk: { path: join(work, "disk.qcow2"), format: "qcow2" },
      net: network.net,
    };
    const vm = await restoreVm(spec, options.sourceDir, { dir: work, logger: log, wrap: network.wrap, name: `wrenn-template-${options.id}`, signal: options.signal });
    stack.push("stop template VM", () => vm.stop());
    const meta = await vm.snapshot(work);
    await network.release();
    await rm(join(work, "qmp.sock"), { force: true });
    const finalSpec: MachineSpec = { ...spec, net: null, memory: { path: join(dir, "memory"), share: false }, disk: { path: join(dir, "disk.qcow2"), format: "qcow2" } };
    const record: TemplateRecord = {
      id: options.id,
      imageHash: options.imageHash,
      spec: finalSpec,
      bootMs: 0,
      createdAt: new Date().toISOString(),
      parentId: options.disk === "flatten" ? undefined : options.parentId,
      diskMiB: options.diskMiB,
      defaults: options.defaults,
      envdToken: options.envdToken,
      quiesced: options.quiesced,
    };
    // The record may hold an envd token: readable by the agent only.
    await writeFile(join(work, "template.json"), JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
    // An abort that came while the snapshot was written still leaves nothing behind.
    options.signal?.throwIfAborted();
    await rename(work, dir);
    stack.push("remove template dir", () => rm(dir, { recursive: true, force: true }));
    const tpl = await loadTemplate(dir, record);
    stack.release();
    log.info({ ms: Math.round(performance.now() - started), stateBytes: meta.stateBytes, disk: options.disk }, "template snapshot taken");
    return tpl;
  } catch (err) {
    await stack.unwind();
    throw err;
  }
}
