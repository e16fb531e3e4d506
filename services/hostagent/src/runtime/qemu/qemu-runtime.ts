import { EventEmitter } from "node:events";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { errors } from "@wrenn/shared";
import { createCleanupStack } from "../../host/cleanup-stack.js";
import { diskUsage } from "../../host/disk-usage.js";
import { SandboxStartError, type TemplateFromCheckpointOptions, type TemplateInfo, type RecoveredSandboxes, type Runtime, type RuntimeCapabilities, type SandboxExit, type SandboxHandle, type SandboxSpec } from "../runtime.js";
import { recoverSandboxDirs } from "../recover-dirs.js";
import { adoptQemuSandbox } from "./qemu-recovery.js";
import { writeQemuRecord } from "./qemu-record.js";
import type { QemuRuntimeOptions, Running } from "./qemu-running.js";
import { baseTemplateId, createQemuTemplates } from "./qemu-templates.js";
import { createDiskOverlay, diskInfo } from "./disk.js";
import { checkpointSandbox, copySparse, growSandboxDisk, readCheckpointMachine } from "./qemu-checkpoint.js";
import { templateFromSandbox } from "./template-from-sandbox.js";
import { userNetworkProvider, vmPorts } from "./network.js";
import type { MachineSpec } from "./qemu-args.js";
import type { QemuExit } from "./qemu-process.js";
import { restoreVm, type QemuVm } from "./qemu-vm.js";

export { baseTemplateId };

/** Extra operations of the QEMU runtime beyond the shared Runtime interface. */
export interface QemuRuntime extends Runtime {
  /** Builds (or finds) the base template ahead of the first create. */
  prepare(signal?: AbortSignal): Promise<void>;
  /**
   * Snapshots the sandbox into its directory and ends its QEMU process. The
   * sandbox keeps its id, directory, disk overlay and network; it leaves
   * list() until resumed. envd should be told to prepare first (pollers off,
   * idle connections closed); that is the sandbox layer's call.
   */
  pause(sandboxId: string): Promise<{ stateBytes: number; ms: number }>;
  /** Restores a paused sandbox into a new QEMU; the handle's pid changes. */
  resume(sandboxId: string, signal: AbortSignal): Promise<SandboxHandle>;
  /** Ids of paused sandboxes. */
  paused(): string[];
}

const capabilities: RuntimeCapabilities = { pause: "snapshot", templates: true };

/**
 * The QEMU microVM runtime: every sandbox is a restore of a template
 * snapshot (never a cold boot once the template exists), with the template's
 * RAM mapped copy-on-write and a qcow2 overlay on the template's disk.
 * Identity (hostname, env, token, clock) is the sandbox layer's envd Init
 * after create, as with every runtime.
 */
export function createQemuRuntime(options: QemuRuntimeOptions): QemuRuntime {
  const { logger } = options;
  const network = options.network ?? userNetworkProvider;
  const running = new Map<string, Running>();
  const events = new EventEmitter();
  const tpls = createQemuTemplates(options, network, running);

  function teardown(entry: Running): Promise<void> {
    entry.teardown ??= entry.stack.unwind().then((failed) => {
      running.delete(entry.handle.sandboxId);
      if (failed.length > 0) throw new Error(`cleanup of ${entry.handle.sandboxId} failed at: ${failed.join(", ")}`);
    });
    return entry.teardown;
  }

  async function create(spec: SandboxSpec, signal: AbortSignal): Promise<SandboxHandle> {
    const { sandboxId } = spec;
    if (running.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already exists`);
    const release = tpls.hold(spec.templateId);
    try {
      return await createFrom(spec, signal);
    } finally {
      release();
    }
  }

  async function createFrom(spec: SandboxSpec, signal: AbortSignal): Promise<SandboxHandle> {
    const { sandboxId } = spec;
    // The shared template build is not tied to this caller: a cancelled create must not fail the others waiting on it.
    const tpl = await tpls.get(spec.templateId);
    signal.throwIfAborted();
    const dir = join(options.sandboxesDir, sandboxId);
    const log = logger.child({ sandboxId });
    const stack = createCleanupStack(log);
    try {
      await mkdir(options.sandboxesDir, { recursive: true });
      // Not recursive: an existing directory belongs to something we don't track.
      await mkdir(dir, { mode: 0o700 });
      stack.push("remove sandbox directory", () => rm(dir, { recursive: true, force: true }));
      // From a checkpoint: its own copy of the checkpoint's overlay (backed by the template's disk, like any clone's).
      const disk = spec.fromCheckpoint
        ? await copySparse(join(spec.fromCheckpoint, "disk.qcow2"), join(dir, "disk.qcow2"), signal).then(() => diskInfo(join(dir, "disk.qcow2"), signal))
        : await createDiskOverlay(tpl.diskPath, join(dir, "disk.qcow2"), { signal });
      const net = await network(sandboxId, signal, { egress: spec.egress });
      stack.push("release network", () => net.release());
      const machine: MachineSpec = { ...tpl.spec, disk: { path: join(dir, "disk.qcow2"), format: "qcow2" }, net: net.net };
      const started = performance.now();
      // dieWithParent false: the VM outlives the agent, which re-adopts it on restart.
      const vm = await restoreVm(machine, spec.fromCheckpoint ?? tpl.dir, { dir, logger: log, wrap: net.wrap, name: `wrenn-${sandboxId}`, signal, dieWithParent: false });
      stack.push("stop VM", () => vm.stop());
      log.info({ pid: vm.pid, template: tpl.id, restoreMs: Math.round(performance.now() - started) }, "sandbox VM restored");
      const resources = { vcpus: machine.vcpus, memoryMiB: machine.memoryMiB, diskMiB: Math.floor(disk.virtualSize / 2 ** 20) };
      const handle: SandboxHandle = { sandboxId, templateId: spec.templateId, startedAt: new Date(), envdTarget: net.envdTarget, pid: vm.pid, resources, ports: vmPorts(net.record) };
      const entry: Running = { handle, dir, vm, network: net.record, machine, wrap: net.wrap, stack, destroying: false, paused: false };
      await persist(entry);
      running.set(sandboxId, entry);
      supervise(entry);
      return handle;
    } catch (err) {
      const failed = await stack.unwind();
      if (failed.length > 0) log.error({ failed }, "create unwound with failed steps");
      if (err instanceof Error && !signal.aborted && !(err instanceof SandboxStartError)) {
        throw new SandboxStartError(`VM restore failed: ${err.message}`);
      }
      throw err;
    }
  }

  /** runtime.json: what a restarted agent needs to adopt the sandbox. */
  function persist(entry: Running): Promise<void> {
    return writeQemuRecord({ dir: entry.dir, handle: entry.handle, state: entry.paused ? "paused" : "running", machine: entry.machine, wrap: entry.wrap, network: entry.network });
  }

  function supervise(entry: Running): void {
    const vm = entry.vm;
    vm?.onUnexpectedExit((exit) => {
      if (entry.destroying || entry.vm !== vm) return;
      entry.destroying = true;
      void (async () => {
        const outputTail = await exitTail(entry.dir, exit);
        try {
          await teardown(entry);
        } catch (err) {
          logger.error({ err, sandboxId: entry.handle.sandboxId }, "cleanup after VM exit failed");
        }
        events.emit("exit", { sandboxId: entry.handle.sandboxId, code: exit.code, signal: exit.signal, outputTail } satisfies SandboxExit);
      })();
    });
  }

  async function pause(sandboxId: string): Promise<{ stateBytes: number; ms: number }> {
    const entry = running.get(sandboxId);
    if (!entry || entry.destroying) throw errors.notFound(`sandbox ${sandboxId} not found`);
    if (entry.paused) throw errors.failedPrecondition(`sandbox ${sandboxId} is already paused`);
    const vm = entry.vm;
    if (!vm) throw errors.failedPrecondition(`sandbox ${sandboxId} is already paused`);
    const started = performance.now();
    entry.paused = true;
    try {
      // A clone's RAM is a private copy-on-write map of the template file, so
      // the snapshot carries the whole RAM (x-ignore-shared only skips shared maps).
      const meta = await vm.snapshot(entry.dir);
      entry.vm = undefined;
      await persist(entry).catch((err: unknown) => logger.error({ err, sandboxId }, "could not record the pause; a restart will not find this sandbox"));
      return { stateBytes: meta.stateBytes, ms: Math.round(performance.now() - started) };
    } catch (err) {
      // Ask what really exists: a VM that survived a failed snapshot keeps running.
      entry.paused = false;
      if (entry.vm === undefined || !(await isAlive(vm))) {
        entry.destroying = true;
        await teardown(entry).catch(() => {});
      }
      throw err;
    }
  }

  async function resume(sandboxId: string, signal: AbortSignal): Promise<SandboxHandle> {
    const entry = running.get(sandboxId);
    if (!entry || entry.destroying) throw errors.notFound(`sandbox ${sandboxId} not found`);
    if (!entry.paused) throw errors.failedPrecondition(`sandbox ${sandboxId} is not paused`);
    const log = logger.child({ sandboxId });
    try {
      const vm = await restoreVm(entry.machine, entry.dir, { dir: entry.dir, logger: log, wrap: entry.wrap, name: `wrenn-${sandboxId}`, signal, dieWithParent: false });
      entry.stack.push("stop resumed VM", () => vm.stop());
      entry.vm = vm;
      entry.paused = false;
      entry.handle = { ...entry.handle, pid: vm.pid };
      supervise(entry);
      await persist(entry).catch((err: unknown) => logger.error({ err, sandboxId }, "could not record the resume; a restart will not find this sandbox"));
      // The snapshot is spent: the record says running, and the RAM copy would only take disk space.
      await rm(join(entry.dir, "state"), { force: true });
      await rm(join(entry.dir, "snapshot.json"), { force: true });
      return entry.handle;
    } catch (err) {
      // A resume that failed must not leave a half-restored VM that looks alive: destroy it.
      entry.destroying = true;
      await teardown(entry).catch(() => {});
      throw err;
    }
  }

  function runningEntry(sandboxId: string): Running {
    const entry = running.get(sandboxId);
    if (!entry || entry.destroying) throw errors.notFound(`sandbox ${sandboxId} not found`);
    return entry;
  }

  async function templateFromCheckpoint(checkpointDir: string, templateId: string, opts: TemplateFromCheckpointOptions): Promise<TemplateInfo> {
    tpls.checkNewId(templateId);
    const source = await readCheckpointMachine(checkpointDir);
    if (!source) throw errors.notFound(`no checkpoint in ${checkpointDir}`);
    // The checkpoint's disk is backed by its template's: that must stay while we read it.
    const release = tpls.hold(source.templateId);
    try {
      const parent = await tpls.get(source.templateId);
      const making = templateFromSandbox({
        id: templateId,
        dir: join(options.templatesDir, templateId),
        sourceDir: checkpointDir,
        sourceMachine: parent.spec,
        imageHash: parent.imageHash,
        envdToken: opts.envdToken,
        quiesced: opts.quiesced,
        defaults: opts.defaults,
        diskMiB: source.diskMiB,
        disk: "flatten",
        network,
        logger,
        signal: opts.signal,
      });
      return await tpls.add(templateId, making);
    } finally {
      release();
    }
  }

  return {
    name: "qemu",
    capabilities,
    createTemplate: (sandboxId, templateId, opts) => tpls.createFromSandbox(sandboxId, templateId, opts),
    deleteTemplate: (templateId) => tpls.remove(templateId),
    templateInfo: () => tpls.info(),
    checkpoint(sandboxId, dir, signal) {
      return checkpointSandbox(runningEntry(sandboxId), dir, logger, signal);
    },
    templateFromCheckpoint,
    async growDisk(sandboxId, diskMiB) {
      const entry = runningEntry(sandboxId);
      const size = await growSandboxDisk(entry, diskMiB);
      entry.handle = { ...entry.handle, resources: { ...entry.handle.resources, diskMiB: size } };
      await persist(entry).catch((err: unknown) => logger.error({ err, sandboxId }, "could not record the new disk size"));
    },
    async stats(sandboxId) {
      const entry = running.get(sandboxId);
      if (!entry || entry.destroying) throw errors.notFound(`sandbox ${sandboxId} not found`);
      const diskBytes = await diskUsage(entry.dir);
      if (entry.paused || !entry.vm) return { cpuSeconds: 0, memoryBytes: 0, diskBytes };
      const stats = await entry.vm.stats().catch(() => ({ cpuSeconds: 0, rssBytes: 0 }));
      return { cpuSeconds: stats.cpuSeconds, memoryBytes: stats.rssBytes, diskBytes };
    },
    pause,
    resume,
    paused: () => [...running.values()].filter((e) => e.paused && !e.destroying).map((e) => e.handle.sandboxId),
    templates: () => tpls.ids(),
    hasTemplate: (id) => tpls.has(id),
    async prepare(signal) {
      const base = await tpls.get(baseTemplateId, signal);
      await tpls.load();
      await tpls.removeUnusedBases(base.dir);
    },
    create,
    async destroy(sandboxId) {
      const entry = running.get(sandboxId);
      if (entry === undefined) return;
      entry.destroying = true;
      await teardown(entry);
    },
    list: () => [...running.values()].filter((e) => !e.destroying && !e.paused).map((e) => e.handle),
    onExit(listener: (exit: SandboxExit) => void) {
      events.on("exit", listener);
      return () => events.off("exit", listener);
    },
    async recover(): Promise<RecoveredSandboxes> {
      const { found, lost } = await recoverSandboxDirs(options.sandboxesDir, (id) => running.has(id), (dir, id) => adoptQemuSandbox(dir, id, { logger, network }), logger);
      for (const entry of found) {
        running.set(entry.handle.sandboxId, entry);
        supervise(entry);
      }
      return { adopted: found.map((e) => ({ handle: e.handle, paused: e.paused, interruptedPause: e.interruptedPause })), lost };
    },
    async close(mode = "destroy") {
      if (mode === "keep") {
        // They keep running (paused ones stay on disk); the next start adopts them.
        for (const entry of running.values()) entry.vm?.detach();
        running.clear();
        return;
      }
      await Promise.allSettled(
        [...running.values()].map((entry) => {
          entry.destroying = true;
          return teardown(entry);
        }),
      );
    },
  };
}

async function isAlive(vm: QemuVm): Promise<boolean> {
  return Promise.race([vm.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 50))]);
}

/** QEMU's stderr and the end of the guest's serial console, read before the directory goes. */
async function exitTail(dir: string, exit: QemuExit): Promise<string> {
  const console = await readFile(join(dir, "console.log"), "utf8").catch(() => "");
  return [exit.stderrTail, console.slice(-2000)].filter(Boolean).join("\n");
}
