import { fromWireId } from "@wrenn/shared";
import type { HostRegistry } from "../hosts/host-registry.js";
import type { SandboxLifecycle } from "../lifecycle/sandbox-lifecycle.js";
import type { SandboxRecord } from "../lifecycle/sandbox.js";
import type { ProxyAddress } from "./proxy-address.js";
import { notRunning } from "./proxy-errors.js";
import type { TunnelTarget } from "./tunnel-pool.js";

/** Statuses after which a sandbox's ports never answer again: its agents go. */
export const finished = new Set(["stopping", "stopped", "error", "missing"]);

export interface Readiness {
  lifecycle: Pick<SandboxLifecycle, "find" | "resume">;
  hosts: Pick<HostRegistry, "portProxyFor" | "tunnelTlsFor">;
}

/** The sandbox's UUID from an address the reader already checked. */
export function sandboxIdOf(address: ProxyAddress): string {
  return fromWireId("sb", address.wireId);
}

/**
 * Where to dial the sandbox's port, once it runs: a paused sandbox created
 * with autoResume is resumed here (the request waits for it), one without
 * is 409; one starting, pausing or finished is 409 with its status.
 */
export async function readyTarget(deps: Readiness, record: SandboxRecord, address: ProxyAddress, signal: AbortSignal): Promise<TunnelTarget> {
  let current = record;
  if ((current.status === "paused" || current.status === "resuming") && current.autoResume && current.teamId) {
    try {
      current = (await deps.lifecycle.resume(current.teamId, current.id, { wait: true, signal })).sandbox;
    } catch (err) {
      // Someone else's resume may have won the race; what counts is where the sandbox is now.
      const now = await deps.lifecycle.find(current.id);
      if (now?.status !== "running") throw err;
      current = now;
    }
  }
  if (current.status === "paused") throw notRunning(address, "paused", "; resume it, or create it with autoResume to have the proxy resume it");
  if (current.status !== "running" || !current.hostId) throw notRunning(address, current.status);
  return { sandboxId: current.id, wireId: address.wireId, port: address.port, tunnelAddress: await deps.hosts.portProxyFor(current.hostId), tunnelTls: deps.hosts.tunnelTlsFor(current.hostId) };
}
