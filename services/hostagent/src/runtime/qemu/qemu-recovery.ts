import { rm } from "node:fs/promises";
import type { Logger } from "@wrenn/shared";
import { createCleanupStack } from "../../host/cleanup-stack.js";
import type { SandboxHandle } from "../runtime.js";
import { vmPorts, type SandboxNetwork, type SandboxNetworkProvider } from "./network.js";
import { checkQemuRecord } from "./qemu-record.js";
import type { Running } from "./qemu-running.js";
import { adoptVm } from "./qemu-vm.js";

/**
 * Adopts one QEMU sandbox a previous agent run left in `dir`: its network
 * (addresses reserved, firewall chain rebuilt), and for a running one its
 * very QEMU (QMP reconnected; a VM left stopped by a pause cut short is
 * continued). undefined: not adoptable; the caller removes what is left.
 */
export async function adoptQemuSandbox(dir: string, sandboxId: string, options: { logger: Logger; network: SandboxNetworkProvider }): Promise<Running | undefined> {
  const status = await checkQemuRecord(dir, sandboxId);
  if (!status) return undefined;
  const { record } = status;
  const log = options.logger.child({ sandboxId });
  const stack = createCleanupStack(log);
  stack.push("remove sandbox directory", () => rm(dir, { recursive: true, force: true }));
  let net: SandboxNetwork | undefined;
  if (record.network) {
    if (!options.network.adopt) return undefined;
    net = await options.network.adopt(record.network);
    stack.push("release network", () => net!.release());
  }
  const handle: SandboxHandle = {
    sandboxId,
    templateId: record.templateId,
    startedAt: new Date(record.startedAt),
    envdTarget: record.envdTarget,
    pid: record.vm?.pid ?? -1,
    resources: record.resources,
    ports: vmPorts(record.network),
  };
  const entry: Running = { handle, dir, network: record.network, machine: record.machine, wrap: record.wrap, stack, destroying: false, paused: !status.alive };
  if (status.alive) {
    try {
      const vm = await adoptVm(record.machine, { dir, logger: log, wrap: record.wrap, name: `wrenn-${sandboxId}` }, record.vm!);
      stack.push("stop VM", () => vm.stop());
      entry.vm = vm;
      const { status: runState } = await vm.qmp.execute<{ status: string }>("query-status");
      // A pause cut short by the crash may have stopped the vCPUs: the sandbox is running, so let it run.
      if (runState !== "running") {
        await vm.qmp.execute("cont");
        entry.interruptedPause = true;
      }
    } catch (err) {
      await net?.release().catch(() => {});
      throw err;
    }
  }
  log.info({ pid: handle.pid, paused: entry.paused }, "adopted sandbox VM from a previous run");
  return entry;
}
