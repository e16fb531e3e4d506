import { EventEmitter } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { errors } from "@wrenn/shared";
import { diskUsage } from "../../host/disk-usage.js";
import { createCleanupStack, type CleanupStack } from "../../host/cleanup-stack.js";
import { recoverSandboxDirs } from "../recover-dirs.js";
import type { RecoveredSandboxes, Runtime, RuntimeCapabilities, SandboxExit, SandboxHandle, SandboxSpec } from "../runtime.js";
import type { SandboxCgroups } from "./cgroups.js";
import { listedBaseSizes } from "../base-sizes.js";
import { groupCpuSeconds, setFrozen } from "./freezer.js";
import { removeSandboxDir, unmountAllUnder } from "./mounts.js";
import { killAll, namespaceTemplate, startNamespaceSandbox } from "./namespace-create.js";
import type { NamespaceRuntimeOptions } from "./namespace-options.js";
import { adoptNamespaceSandbox, type AdoptedNamespaceSandbox } from "./namespace-recovery.js";
import { namespaceResources } from "./namespace-resources.js";
import type { SandboxProcess } from "./sandbox-process.js";

interface Running {
  handle: SandboxHandle;
  process: SandboxProcess;
  stack: CleanupStack;
  destroying: boolean;
  teardown?: Promise<void>;
  cgroups?: SandboxCgroups;
  frozen: boolean;
  dir: string;
}

const noTemplates =
  "the namespace runtime cannot snapshot a sandbox into a template: CRIU cannot checkpoint processes on this host; run the agent with WRENN_RUNTIME=qemu";

/**
 * Linux namespace runtime: bubblewrap over a per-sandbox overlayfs root.
 * Layout of DATA_DIR/sandboxes/<id>/: upper/ and work/ (overlay layers),
 * rootfs/ (the merged root, mounted on the host), run/ (bind-mounted at
 * /run/wrenn inside; envd's socket lives there).
 */
export function createNamespaceRuntime(options: NamespaceRuntimeOptions): Runtime {
  const { logger } = options;
  const running = new Map<string, Running>();
  const events = new EventEmitter();
  const resources = namespaceResources(options.sandboxesDir, options.limits);

  function teardown(entry: Running): Promise<void> {
    entry.teardown ??= entry.stack.unwind().then((failed) => {
      running.delete(entry.handle.sandboxId);
      if (failed.length > 0) throw new Error(`cleanup of ${entry.handle.sandboxId} failed at: ${failed.join(", ")}`);
    });
    return entry.teardown;
  }

  async function create(spec: SandboxSpec, signal: AbortSignal): Promise<SandboxHandle> {
    if (running.has(spec.sandboxId)) throw errors.alreadyExists(`sandbox ${spec.sandboxId} already exists`);
    const started = await startNamespaceSandbox(options, resources, spec, signal);
    const entry: Running = { ...started, destroying: false, frozen: false };
    running.set(spec.sandboxId, entry);
    supervise(entry);
    return started.handle;
  }

  /** Registers a sandbox a previous run left, with the same undo steps a create would have pushed. */
  function register(adopted: AdoptedNamespaceSandbox): void {
    const { handle, process: proc, cgroups, network, dir } = adopted;
    const stack = createCleanupStack(logger.child({ sandboxId: handle.sandboxId }));
    stack.push("remove sandbox directory", () => removeSandboxDir(dir));
    stack.push("unmount overlay", async () => {
      await unmountAllUnder(dir);
    });
    if (network) stack.push("release network", () => network.release());
    if (cgroups) stack.push("remove cgroups", () => cgroups.remove());
    stack.push("kill sandbox processes", () => killAll(proc, cgroups));
    const entry: Running = { handle, process: proc, stack, destroying: false, cgroups, frozen: adopted.frozen, dir };
    running.set(handle.sandboxId, entry);
    supervise(entry);
  }

  async function recover(): Promise<RecoveredSandboxes> {
    const { found, lost } = await recoverSandboxDirs(options.sandboxesDir, (id) => running.has(id), (dir, id) => adoptNamespaceSandbox(dir, id, options.network, logger), logger);
    for (const sandbox of found) register(sandbox);
    return { adopted: found.map((f) => ({ handle: f.handle, paused: f.frozen })), lost };
  }

  /** A sandbox whose process dies on its own is cleaned up and reported. */
  function supervise(entry: Running): void {
    void entry.process.exited.then(async (exit) => {
      if (entry.destroying) return;
      logger.warn(
        { sandboxId: exit.sandboxId, code: exit.code, signal: exit.signal, outputTail: exit.outputTail.slice(-2000) },
        "sandbox process exited on its own; cleaning up",
      );
      entry.destroying = true;
      try {
        await teardown(entry);
      } catch (err) {
        logger.error({ err, sandboxId: exit.sandboxId }, "cleanup after sandbox exit failed");
      }
      events.emit("exit", exit);
    });
  }

  function get(sandboxId: string): Running {
    const entry = running.get(sandboxId);
    if (entry === undefined || entry.destroying) throw errors.notFound(`sandbox ${sandboxId} not found`);
    return entry;
  }

  function freezerOf(entry: Running): string {
    if (!entry.cgroups?.freezer) throw errors.failedPrecondition("pause needs the cgroup v1 freezer, which is unavailable on this host");
    return entry.cgroups.freezer;
  }

  const capabilities: RuntimeCapabilities = options.limits
    ? { pause: "freeze", templates: false, templatesUnavailableReason: noTemplates }
    : { pause: "none", pauseUnavailableReason: "pause needs per-sandbox cgroups (WRENN_SANDBOX_MEMORY_MB or WRENN_SANDBOX_PIDS_MAX above 0)", templates: false, templatesUnavailableReason: noTemplates };

  return {
    name: "namespace",
    capabilities,
    async pause(sandboxId) {
      const entry = get(sandboxId);
      if (entry.frozen) throw errors.failedPrecondition(`sandbox ${sandboxId} is already paused`);
      const started = performance.now();
      await setFrozen(freezerOf(entry), true);
      entry.frozen = true;
      return { stateBytes: 0, ms: Math.round(performance.now() - started) };
    },
    async resume(sandboxId) {
      const entry = get(sandboxId);
      if (!entry.frozen) throw errors.failedPrecondition(`sandbox ${sandboxId} is not paused`);
      try {
        await setFrozen(freezerOf(entry), false);
      } catch (err) {
        // A sandbox that cannot be thawed is of no use: destroy it rather than leave it frozen.
        entry.destroying = true;
        await teardown(entry).catch(() => {});
        throw err;
      }
      entry.frozen = false;
      return entry.handle;
    },
    paused: () => [...running.values()].filter((e) => e.frozen && !e.destroying).map((e) => e.handle.sandboxId),
    async stats(sandboxId) {
      const entry = get(sandboxId);
      const memory = entry.cgroups?.memory;
      const memoryBytes = memory ? Number(await readFile(join(memory, "memory.usage_in_bytes"), "utf8").catch(() => "0")) : 0;
      const cpuSeconds = entry.cgroups?.freezer ? await groupCpuSeconds(entry.cgroups.freezer).catch(() => 0) : 0;
      return { cpuSeconds, memoryBytes, diskBytes: await diskUsage(join(entry.dir, "upper")) };
    },
    async createTemplate() {
      throw errors.failedPrecondition(noTemplates);
    },
    async deleteTemplate(templateId) {
      if (namespaceTemplate(options, templateId)) throw errors.failedPrecondition(`template "${templateId}" is built in and cannot be deleted`);
      throw errors.notFound(`template "${templateId}" not found`);
    },
    templateInfo: () =>
      [...options.templateRoots.keys()].map((id) => ({
        id,
        createdAt: new Date(0),
        vcpus: 0,
        memoryMiB: 0,
        diskMiB: 0,
        defaults: { envs: {} },
        diskBytes: 0,
        users: [...running.values()].filter((e) => e.handle.templateId === id && !e.destroying).length,
        quiesced: false,
      })),
    async checkpoint() {
      throw errors.failedPrecondition(noTemplates);
    },
    async templateFromCheckpoint() {
      throw errors.failedPrecondition(noTemplates);
    },
    async growDisk() {
      throw errors.failedPrecondition("the namespace runtime has no disk device to grow");
    },
    templates: () => [...new Set([...options.templateRoots.keys(), ...listedBaseSizes.filter((id) => namespaceTemplate(options, id) !== undefined)])],
    hasTemplate: (id) => namespaceTemplate(options, id) !== undefined,
    create,
    async destroy(sandboxId) {
      const entry = running.get(sandboxId);
      if (entry === undefined) return;
      entry.destroying = true;
      await teardown(entry);
    },
    list: () => [...running.values()].filter((e) => !e.destroying && !e.frozen).map((e) => e.handle),
    onExit(listener: (exit: SandboxExit) => void) {
      events.on("exit", listener);
      return () => events.off("exit", listener);
    },
    recover,
    async close(mode = "destroy") {
      if (mode === "keep") {
        // They keep running (paused ones stay frozen); the next start adopts them.
        for (const entry of running.values()) entry.process.detach();
        running.clear();
        return;
      }
      await Promise.allSettled([...running.values()].map((entry) => {
        entry.destroying = true;
        return teardown(entry);
      }));
    },
  };
}
