import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@wrenn/shared";
import { identify, isSameProcess, type ProcessIdentity } from "../../host/host-process.js";
import { readJson, writeJsonAtomic } from "../../host/state-file.js";
import type { NamespaceNetworkProvider, NamespaceSandboxNetwork } from "../../network/netns-provider.js";
import type { NetworkRecord } from "../../network/sandbox-networks.js";
import type { PortReach, SandboxHandle, SandboxResources } from "../runtime.js";
import { openSandboxCgroups, type SandboxCgroups } from "./cgroups.js";
import { adoptSandboxProcess, type SandboxProcess } from "./sandbox-process.js";

/** runtime.json of a namespace sandbox: what a restarted agent needs to adopt it. */
export interface NamespaceRecord {
  runtime: "namespace";
  sandboxId: string;
  templateId: string;
  startedAt: string;
  envdTarget: string;
  bwrap: ProcessIdentity;
  /** bwrap's init (the sandbox's PID 1) on the host. */
  init?: ProcessIdentity;
  network?: NetworkRecord;
  resources: SandboxResources;
}

export const recordFile = "runtime.json";
export const outputFile = "output.log";

export async function writeNamespaceRecord(dir: string, handle: SandboxHandle, proc: SandboxProcess, network?: NetworkRecord): Promise<void> {
  const bwrap = await identify(proc.pid);
  if (!bwrap) throw new Error("sandbox process is gone");
  const innerPid = proc.innerPid();
  const record: NamespaceRecord = {
    runtime: "namespace",
    sandboxId: handle.sandboxId,
    templateId: handle.templateId,
    startedAt: handle.startedAt.toISOString(),
    envdTarget: handle.envdTarget,
    bwrap,
    init: innerPid ? await identify(innerPid) : undefined,
    network,
    resources: handle.resources,
  };
  await writeJsonAtomic(join(dir, recordFile), record);
}

/** The veth address when the sandbox has a network, else its namespace (seen through its PID 1). */
export async function namespacePorts(address: string | undefined, initPid: number | undefined): Promise<PortReach | undefined> {
  if (address) return { kind: "address", host: address };
  if (!initPid) return undefined;
  const path = `/proc/${initPid}/ns/net`;
  const inode = await stat(path).then(
    (s) => s.ino,
    () => undefined,
  );
  return inode === undefined ? undefined : { kind: "netns", path, inode };
}

export interface AdoptedNamespaceSandbox {
  handle: SandboxHandle;
  process: SandboxProcess;
  cgroups?: SandboxCgroups;
  network?: NamespaceSandboxNetwork;
  frozen: boolean;
  dir: string;
}

/**
 * Adopts one sandbox a previous run left in `dir`, or returns undefined when
 * it cannot be (no record, its bwrap is gone or is another process now, its
 * socket or network vanished); the caller then removes what is left.
 */
export async function adoptNamespaceSandbox(dir: string, sandboxId: string, network: NamespaceNetworkProvider | undefined, logger: Logger): Promise<AdoptedNamespaceSandbox | undefined> {
  const record = await readJson<NamespaceRecord>(join(dir, recordFile));
  if (!record || record.runtime !== "namespace" || record.sandboxId !== sandboxId) return undefined;
  const names = (args: string[]) => (args[0]?.endsWith("bwrap") ?? false) && args.includes(sandboxId);
  if (!(await isSameProcess(record.bwrap, names))) return undefined;
  const socket = record.envdTarget.startsWith("unix:") ? record.envdTarget.slice(5) : undefined;
  if (socket && !(await stat(socket).then((s) => s.isSocket(), () => false))) return undefined;
  let net: NamespaceSandboxNetwork | undefined;
  if (record.network) {
    if (!network?.adopt) return undefined;
    try {
      net = await network.adopt(record.network);
    } catch (err) {
      logger.warn({ err, sandboxId }, "could not adopt the sandbox's network");
      return undefined;
    }
  }
  const cgroups = await openSandboxCgroups(sandboxId);
  const freezerState = cgroups?.freezer ? await readState(cgroups.freezer) : "";
  // A pause cut short by the agent's death (never recorded as paused): it runs again.
  if (freezerState === "FREEZING") await writeFile(join(cgroups!.freezer!, "freezer.state"), "THAWED");
  const frozen = freezerState === "FROZEN";
  const proc = adoptSandboxProcess(sandboxId, record.bwrap, record.init, join(dir, outputFile));
  const handle: SandboxHandle = {
    sandboxId,
    templateId: record.templateId,
    startedAt: new Date(record.startedAt),
    envdTarget: record.envdTarget,
    pid: record.bwrap.pid,
    resources: record.resources,
    ports: await namespacePorts(record.network?.address, record.init?.pid),
  };
  return { handle, process: proc, cgroups, network: net, frozen, dir };
}

async function readState(freezer: string): Promise<string> {
  return (await readFile(join(freezer, "freezer.state"), "utf8").catch(() => "")).trim();
}
