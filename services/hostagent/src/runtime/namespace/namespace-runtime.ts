import { EventEmitter } from "node:events";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { errors, type Logger } from "@wrenn/shared";
import { diskUsage } from "../../host/disk-usage.js";
import { createCleanupStack, type CleanupStack } from "../../host/cleanup-stack.js";
import { recoverSandboxDirs } from "../recover-dirs.js";
import { SandboxStartError, type RecoveredSandboxes, type Runtime, type RuntimeCapabilities, type SandboxExit, type SandboxHandle, type SandboxSpec } from "../runtime.js";
import { adoptNamespaceSandbox, outputFile, writeNamespaceRecord, type AdoptedNamespaceSandbox } from "./namespace-recovery.js";
import { namespaceResources } from "./namespace-resources.js";
import { bwrapArgs } from "./bwrap-args.js";
import { createSandboxCgroups, type CgroupLimits, type SandboxCgroups } from "./cgroups.js";
import { groupCpuSeconds, setFrozen } from "./freezer.js";
import { mountOverlay, removeSandboxDir, unmountAllUnder } from "./mounts.js";
import { netnsWrap, spawnSandboxProcess, type SandboxProcess } from "./sandbox-process.js";
import type { NamespaceNetworkProvider } from "../../network/netns-provider.js";

export interface NamespaceRuntimeOptions {
  /** DATA_DIR/sandboxes: one directory per sandbox. */
  sandboxesDir: string;
  /** Template id → host path of its root (the overlay lower layer). */
  templateRoots: Map<string, string>;
  envdBundle: string;
  /** Node binary inside the sandbox (it sees the host's /usr read-only). */
  nodePath: string;
  /** cgroup v1 memory/pids limits per sandbox; undefined runs without. */
  limits?: CgroupLimits;
  /**
   * Puts each sandbox in a prepared network namespace (veth to the host,
   * egress rules on the host side); undefined keeps a private loopback-only one.
   */
  network?: NamespaceNetworkProvider;
  logger: Logger;
}

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

/** sun_path is 108 bytes including the terminating NUL. */
const maxSocketPath = 107;
const socketPollMs = 25;

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
  const resources = namespaceResources(options);

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
    const lower = options.templateRoots.get(spec.templateId);
    if (lower === undefined) throw errors.notFound(`template "${spec.templateId}" not found`);
    const dir = join(options.sandboxesDir, sandboxId);
    const socketPath = join(dir, "run", "envd.sock");
    if (Buffer.byteLength(socketPath) > maxSocketPath) {
      throw errors.failedPrecondition("the data directory path is too long for envd's unix socket");
    }
    const log = logger.child({ sandboxId });
    const stack = createCleanupStack(log);
    try {
      await mkdir(options.sandboxesDir, { recursive: true });
      // Not recursive: an existing directory means a sandbox we don't track
      // owns it, and it must not be reused or removed by this create.
      await mkdir(dir, { mode: 0o700 });
      stack.push("remove sandbox directory", () => removeSandboxDir(dir));
      for (const sub of ["upper", "work", "rootfs", "run", "upper/etc"]) await mkdir(join(dir, sub));
      // Per-sandbox identity files go straight into the upper layer.
      await writeFile(join(dir, "upper/etc/hostname"), `${spec.hostname}\n`);
      await writeFile(
        join(dir, "upper/etc/hosts"),
        `127.0.0.1\tlocalhost\n127.0.1.1\t${spec.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
      );
      signal.throwIfAborted();

      const rootfs = join(dir, "rootfs");
      await mountOverlay({ lower, upper: join(dir, "upper"), work: join(dir, "work"), target: rootfs });
      stack.push("unmount overlay", async () => {
        await unmountAllUnder(dir);
      });
      signal.throwIfAborted();

      const net = options.network ? await options.network(sandboxId, signal, { egress: spec.egress }) : undefined;
      if (net) stack.push("release network", () => net.release());
      signal.throwIfAborted();
      const args = bwrapArgs({
        rootfs,
        runDir: join(dir, "run"),
        envdBundle: options.envdBundle,
        hostname: spec.hostname,
        nodePath: options.nodePath,
        joinNetns: net !== undefined,
      });
      const cgroups = options.limits ? await createSandboxCgroups(sandboxId, options.limits, log) : undefined;
      if (cgroups) stack.push("remove cgroups", () => cgroups.remove());
      const proc = spawnSandboxProcess(sandboxId, args, log, cgroups?.paths, net ? netnsWrap(net.netnsPath) : [], join(dir, outputFile));
      stack.push("kill sandbox processes", () => killAll(proc, cgroups));

      await waitForSocket(socketPath, proc, signal);
      // envd bound its socket in /run/wrenn, which the sandbox sees. Renamed to a name outside
      // that directory, it is the same listening socket for the agent, and no process in the
      // sandbox can name it any more (connect() needs a path).
      const hostSocket = join(dir, "envd.sock");
      await rename(socketPath, hostSocket);
      const handle: SandboxHandle = {
        sandboxId,
        templateId: spec.templateId,
        startedAt: new Date(),
        envdTarget: `unix:${hostSocket}`,
        pid: proc.pid,
        resources,
      };
      // What a restarted agent needs to adopt it (written before anyone can use it).
      await writeNamespaceRecord(dir, handle, proc, net?.record);
      const entry: Running = { handle, process: proc, stack, destroying: false, cgroups, frozen: false, dir };
      running.set(sandboxId, entry);
      supervise(entry);
      log.info({ pid: proc.pid }, "sandbox process running");
      return handle;
    } catch (err) {
      const failed = await stack.unwind();
      if (failed.length > 0) log.error({ failed }, "create unwound with failed steps");
      throw err;
    }
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
      if (options.templateRoots.has(templateId)) throw errors.failedPrecondition(`template "${templateId}" is built in and cannot be deleted`);
      throw errors.notFound(`template "${templateId}" not found`);
    },
    templateInfo: () =>
      [...options.templateRoots.keys()].map((id) => ({
        id,
        createdAt: new Date(0),
        vcpus: 0,
        memoryMiB: 0,
        users: [...running.values()].filter((e) => e.handle.templateId === id && !e.destroying).length,
        quiesced: false,
      })),
    templates: () => [...options.templateRoots.keys()],
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

/** Kills every process of the sandbox; frozen tasks do not act on SIGKILL until thawed (cgroup v1 freezer). */
async function killAll(proc: SandboxProcess, cgroups: SandboxCgroups | undefined): Promise<void> {
  if (cgroups?.freezer) await writeFile(join(cgroups.freezer, "freezer.state"), "THAWED").catch(() => {});
  await proc.kill();
}

/** Resolves when envd's socket exists; rejects if the sandbox dies or the signal aborts first. */
async function waitForSocket(socketPath: string, proc: SandboxProcess, signal: AbortSignal): Promise<void> {
  while (true) {
    signal.throwIfAborted();
    if (proc.hasExited()) {
      const exit = await proc.exited;
      const how = exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? "unknown"}`;
      throw new SandboxStartError(`sandbox process exited during start (${how})`, exit);
    }
    const found = await stat(socketPath).then(
      (s) => s.isSocket(),
      () => false,
    );
    if (found) return;
    await sleep(socketPollMs, undefined, { signal }).catch(() => {});
  }
}
