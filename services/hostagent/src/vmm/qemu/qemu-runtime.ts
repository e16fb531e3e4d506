import { EventEmitter } from "node:events";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { errors, type Logger } from "@wrenn/shared";
import type { GuestImage } from "../../image/build-image.js";
import { createCleanupStack, type CleanupStack } from "../cleanup-stack.js";
import { SandboxStartError, type Runtime, type SandboxExit, type SandboxHandle, type SandboxSpec } from "../runtime.js";
import { ensureBaseTemplate, type QemuTemplate } from "./base-template.js";
import { createDiskOverlay } from "./disk.js";
import { userNetworkProvider, type SandboxNetworkProvider } from "./network.js";
import type { MachineSpec } from "./qemu-args.js";
import type { QemuExit } from "./qemu-process.js";
import { restoreVm, type QemuVm } from "./qemu-vm.js";

export interface QemuRuntimeOptions {
  /** DATA_DIR/sandboxes: one directory per sandbox (disk overlay, QMP socket, serial log). */
  sandboxesDir: string;
  /** DATA_DIR/templates/qemu: one directory per template snapshot. */
  templatesDir: string;
  image: GuestImage;
  logger: Logger;
  /** Guest size of the base template (fixed by its snapshot). */
  memoryMiB?: number;
  vcpus?: number;
  /** Default: user networking with envd on a loopback port. */
  network?: SandboxNetworkProvider;
}

export const baseTemplateId = "base";

interface Running {
  handle: SandboxHandle;
  vm: QemuVm;
  stack: CleanupStack;
  destroying: boolean;
  teardown?: Promise<void>;
}

/**
 * The QEMU microVM runtime: every sandbox is a restore of a template
 * snapshot (never a cold boot once the template exists), with the template's
 * RAM mapped copy-on-write and a qcow2 overlay on the template's disk.
 * Identity (hostname, env, token, clock) is the sandbox layer's envd Init
 * after create, as with every runtime.
 */
export function createQemuRuntime(options: QemuRuntimeOptions): Runtime & { prepare(signal?: AbortSignal): Promise<void> } {
  const { logger } = options;
  const network = options.network ?? userNetworkProvider;
  const running = new Map<string, Running>();
  const events = new EventEmitter();
  const templates = new Map<string, Promise<QemuTemplate>>();

  function template(id: string, signal?: AbortSignal): Promise<QemuTemplate> {
    if (id !== baseTemplateId && !templates.has(id)) throw errors.notFound(`template "${id}" not found`);
    let pending = templates.get(id);
    if (!pending) {
      pending = ensureBaseTemplate({
        id,
        dir: join(options.templatesDir, id),
        image: options.image,
        memoryMiB: options.memoryMiB ?? 256,
        vcpus: options.vcpus ?? 1,
        network,
        logger,
        signal,
      });
      templates.set(id, pending);
      // A failed build is retried by the next create instead of being cached.
      pending.catch(() => templates.delete(id));
    }
    return pending;
  }

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
    // The shared template build is not tied to this caller: a cancelled create must not fail the others waiting on it.
    const tpl = await template(spec.templateId);
    signal.throwIfAborted();
    const dir = join(options.sandboxesDir, sandboxId);
    const log = logger.child({ sandboxId });
    const stack = createCleanupStack(log);
    try {
      await mkdir(options.sandboxesDir, { recursive: true });
      // Not recursive: an existing directory belongs to something we don't track.
      await mkdir(dir, { mode: 0o700 });
      stack.push("remove sandbox directory", () => rm(dir, { recursive: true, force: true }));
      await createDiskOverlay(tpl.diskPath, join(dir, "disk.qcow2"), { signal });
      const net = await network(sandboxId, signal);
      stack.push("release network", () => net.release());
      const machine: MachineSpec = { ...tpl.spec, disk: { path: join(dir, "disk.qcow2"), format: "qcow2" }, net: net.net };
      const started = performance.now();
      const vm = await restoreVm(machine, tpl.dir, { dir, logger: log, wrap: net.wrap, name: `wrenn-${sandboxId}`, signal });
      stack.push("stop VM", () => vm.stop());
      log.info({ pid: vm.pid, template: tpl.id, restoreMs: Math.round(performance.now() - started) }, "sandbox VM restored");
      const handle: SandboxHandle = { sandboxId, templateId: spec.templateId, startedAt: new Date(), envdTarget: net.envdTarget, pid: vm.pid };
      const entry: Running = { handle, vm, stack, destroying: false };
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

  function supervise(entry: Running): void {
    entry.vm.onUnexpectedExit((exit) => {
      if (entry.destroying) return;
      entry.destroying = true;
      void (async () => {
        const outputTail = await exitTail(entry.vm.dir, exit);
        try {
          await teardown(entry);
        } catch (err) {
          logger.error({ err, sandboxId: entry.handle.sandboxId }, "cleanup after VM exit failed");
        }
        events.emit("exit", { sandboxId: entry.handle.sandboxId, code: exit.code, signal: exit.signal, outputTail } satisfies SandboxExit);
      })();
    });
  }

  return {
    name: "qemu",
    templates: () => [baseTemplateId, ...[...templates.keys()].filter((id) => id !== baseTemplateId)],
    /** Builds (or finds) the base template ahead of the first create. */
    async prepare(signal) {
      await template(baseTemplateId, signal);
    },
    create,
    async destroy(sandboxId) {
      const entry = running.get(sandboxId);
      if (entry === undefined) return;
      entry.destroying = true;
      await teardown(entry);
    },
    list: () => [...running.values()].filter((e) => !e.destroying).map((e) => e.handle),
    onExit(listener: (exit: SandboxExit) => void) {
      events.on("exit", listener);
      return () => events.off("exit", listener);
    },
    async close() {
      await Promise.allSettled(
        [...running.values()].map((entry) => {
          entry.destroying = true;
          return teardown(entry);
        }),
      );
    },
  };
}

/** QEMU's stderr and the end of the guest's serial console, read before the directory goes. */
async function exitTail(dir: string, exit: QemuExit): Promise<string> {
  const console = await readFile(join(dir, "console.log"), "utf8").catch(() => "");
  return [exit.stderrTail, console.slice(-2000)].filter(Boolean).join("\n");
}
