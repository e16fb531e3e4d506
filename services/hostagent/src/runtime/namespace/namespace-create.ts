import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { errors } from "@wrenn/shared";
import { createCleanupStack, type CleanupStack } from "../../host/cleanup-stack.js";
import { SandboxStartError, type SandboxHandle, type SandboxResources, type SandboxSpec } from "../runtime.js";
import { bwrapArgs } from "./bwrap-args.js";
import { baseTemplateId, parseBaseSize } from "../base-sizes.js";
import { createSandboxCgroups, type CgroupLimits, type SandboxCgroups } from "./cgroups.js";
import { namespaceResources } from "./namespace-resources.js";
import { mountOverlay, removeSandboxDir, unmountAllUnder } from "./mounts.js";
import { namespacePorts, outputFile, writeNamespaceRecord } from "./namespace-recovery.js";
import type { NamespaceRuntimeOptions } from "./namespace-options.js";
import { netnsWrap, spawnSandboxProcess, type SandboxProcess } from "./sandbox-process.js";

/** sun_path is 108 bytes including the terminating NUL. */
const maxSocketPath = 107;
const socketPollMs = 25;

/** A sandbox just started: its handle, its process, and the undo steps of everything made for it. */
export interface StartedNamespaceSandbox {
  handle: SandboxHandle;
  process: SandboxProcess;
  stack: CleanupStack;
  cgroups?: SandboxCgroups;
  dir: string;
}

/**
 * Makes a namespace sandbox, each step under the cleanup stack: its
 * directory, the overlay root, the network, cgroups, the bubblewrap process,
 * and envd's socket moved out of the sandbox's view. Resolves once envd's
 * socket exists; on any failure, or when `signal` aborts, unwinds every step.
 */
/**
 * The root and limits of a template: a base-size id is the base root with
 * that size's CPU and memory limits, where the host has cgroups for them
 * (without any limits configured a sandbox runs unlimited and says so).
 */
export function namespaceTemplate(options: NamespaceRuntimeOptions, templateId: string): { lower: string; limits: CgroupLimits | undefined } | undefined {
  const lower = options.templateRoots.get(templateId);
  if (lower !== undefined) return { lower, limits: options.limits };
  const size = parseBaseSize(templateId);
  const base = options.templateRoots.get(baseTemplateId);
  if (size === undefined || base === undefined) return undefined;
  if (!options.limits) return { lower: base, limits: undefined };
  return { lower: base, limits: { ...options.limits, memoryBytes: size.memoryMiB * 2 ** 20, cpus: size.vcpus } };
}

export async function startNamespaceSandbox(
  options: NamespaceRuntimeOptions,
  resources: SandboxResources,
  spec: SandboxSpec,
  signal: AbortSignal,
): Promise<StartedNamespaceSandbox> {
  const { sandboxId } = spec;
  const sized = namespaceTemplate(options, spec.templateId);
  if (sized === undefined) throw errors.notFound(`template "${spec.templateId}" not found`);
  const { lower, limits } = sized;
  if (limits !== options.limits) resources = namespaceResources(options.sandboxesDir, limits);
  const dir = join(options.sandboxesDir, sandboxId);
  const socketPath = join(dir, "run", "envd.sock");
  if (Buffer.byteLength(socketPath) > maxSocketPath) {
    throw errors.failedPrecondition("the data directory path is too long for envd's unix socket");
  }
  const log = options.logger.child({ sandboxId });
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
    const cgroups = limits ? await createSandboxCgroups(sandboxId, limits, log) : undefined;
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
      ports: await namespacePorts(net?.address, proc.innerPid()),
    };
    // What a restarted agent needs to adopt it (written before anyone can use it).
    await writeNamespaceRecord(dir, handle, proc, net?.record);
    log.info({ pid: proc.pid }, "sandbox process running");
    return { handle, process: proc, stack, cgroups, dir };
  } catch (err) {
    const failed = await stack.unwind();
    if (failed.length > 0) log.error({ failed }, "create unwound with failed steps");
    throw err;
  }
}

/** Kills every process of the sandbox; frozen tasks do not act on SIGKILL until thawed (cgroup v1 freezer). */
export async function killAll(proc: SandboxProcess, cgroups: SandboxCgroups | undefined): Promise<void> {
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
