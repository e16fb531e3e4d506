import { ClientError, Metadata, Status } from "nice-grpc";
import { egressModeToWire, errors, fromWireId, hasGrpcStatus, isWireId, sandboxIdMetadataKey, toWireId } from "@wrenn/shared";
import {
  ExpiryAction,
  SandboxState,
  type EgressPolicy,
  type HostSandbox,
} from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxResources } from "../lifecycle/sandbox.js";
import type { EgressRule, HostSandboxState, SandboxHost } from "../lifecycle/host-contract.js";
import type { HostConnection } from "./host-connection.js";

/** Deadline for a host agent's create: its own start timeout plus slack for the answer. */
const createSlackMs = 15_000;
const destroyTimeoutMs = 60_000;
/** Pause and resume write or read memory images on the QEMU runtime: minutes, not seconds. */
const pauseResumeTimeoutMs = 5 * 60_000;
const controlTimeoutMs = 15_000;
/**
 * How long a call waits for the control channel to (re)connect before it is
 * sent anyway (and fails "unreachable" if the host is still away): longer
 * than the channel's longest reconnect backoff (host-connection.ts).
 */
const reconnectWaitMs = 10_000;
/** Attempts of an idempotent call that keeps meeting a connection that breaks. */
const maxAttempts = 3;

/**
 * Host agents name sandboxes by wire id ("sb-…"), the controlplane by UUID:
 * this file converts, and nothing between here and the RPC edge does.
 */
const toHost = (sandboxId: string): string => toWireId("sb", sandboxId);

/** The sandbox (UUID) a host names; null when it is not one of ours. */
export function sandboxIdFromHost(hostSandboxId: string): string | null {
  return isWireId("sb", hostSandboxId) ? fromWireId("sb", hostSandboxId) : null;
}

/** Metadata naming the sandbox (UUID) on a relayed envd call; the host agent routes the call by it. */
export function envdCallMetadata(sandboxId: string): Metadata {
  return Metadata({ [sandboxIdMetadataKey]: toHost(sandboxId) });
}

/**
 * The lifecycle's view of a host agent, over its generated gRPC client.
 * gRPC failures come back as errors that keep their status code, with a
 * message that says which host call failed.
 */
export function createSandboxHost(connection: HostConnection): SandboxHost {
  const client = connection.sandboxes;

  /**
   * One host call within `timeoutMs`. A host agent that just restarted is
   * reachable again within seconds, but the control channel may still be in
   * its reconnect backoff, and grpc-js fails calls at once meanwhile. So a
   * lifecycle call (`waits`) first waits, at most reconnectWaitMs, for the
   * channel, and is sent once it can be: it does not fail the sandbox into
   * ERROR for a host that is merely reconnecting. Reads (list, metrics) do
   * not wait: the reconciler and the caller simply ask again. Only a call
   * that is safe to repeat (`idempotent`) is sent again after an UNAVAILABLE;
   * a create never is (the first may have reached the host).
   */
  async function call<T>(
    what: string,
    timeoutMs: number,
    run: (signal: AbortSignal) => Promise<T>,
    { waits = true, idempotent = false }: { waits?: boolean; idempotent?: boolean } = {},
  ): Promise<T> {
    const signal = AbortSignal.timeout(timeoutMs);
    for (let attempt = 1; ; attempt++) {
      if (waits) await connection.controlReady(AbortSignal.any([signal, AbortSignal.timeout(reconnectWaitMs)]));
      try {
        return await run(signal);
      } catch (err) {
        const again = idempotent && attempt < maxAttempts && !signal.aborted && hasGrpcStatus(err) && err.code === Status.UNAVAILABLE;
        if (!again) throw describe(err, what, connection.address, signal);
      }
    }
  }

  return {
    async createSandbox({ sandboxId, templateId, envs, startTimeoutSeconds, timeoutSeconds, onExpiry, egress }) {
      const response = await call("create", startTimeoutSeconds * 1000 + createSlackMs, (signal) =>
        client.createSandbox(
          {
            sandboxId: toHost(sandboxId),
            templateId,
            envs,
            startTimeoutSeconds,
            timeoutSeconds: timeoutSeconds ?? 0,
            onExpiry: onExpiry === "pause" ? ExpiryAction.EXPIRY_ACTION_PAUSE : ExpiryAction.EXPIRY_ACTION_KILL,
            egress: egress ? egressToHost(egress) : undefined,
          },
          { signal },
        ),
      );
      return { expiresAt: response.sandbox?.expiresAt ?? null, resources: resourcesOf(response.sandbox) };
    },

    async destroySandbox(sandboxId) {
      // Repeatable: a destroy that did reach the host answers NOT_FOUND the second time.
      try {
        await call("destroy", destroyTimeoutMs, (signal) => client.destroySandbox({ sandboxId: toHost(sandboxId) }, { signal }), {
          idempotent: true,
        });
        return "destroyed";
      } catch (err) {
        if (hasGrpcStatus(err) && err.code === Status.NOT_FOUND) return "not-found";
        throw err;
      }
    },

    async pauseSandbox(sandboxId) {
      await call("pause", pauseResumeTimeoutMs, (signal) => client.pauseSandbox({ sandboxId: toHost(sandboxId) }, { signal }));
    },

    async resumeSandbox(sandboxId, timeoutSeconds) {
      const response = await call("resume", pauseResumeTimeoutMs, (signal) =>
        client.resumeSandbox({ sandboxId: toHost(sandboxId), timeoutSeconds }, { signal }),
      );
      return { expiresAt: response.sandbox?.expiresAt ?? null, resources: resourcesOf(response.sandbox) };
    },

    async setSandboxTimeout(sandboxId, timeoutSeconds) {
      const response = await call("timeout change", controlTimeoutMs, (signal) =>
        client.setSandboxTimeout({ sandboxId: toHost(sandboxId), timeoutSeconds }, { signal }),
      );
      return { expiresAt: response.sandbox?.expiresAt ?? null };
    },

    async getSandboxMetrics(sandboxId) {
      const m = await call("metrics", controlTimeoutMs, (signal) =>
        client.getSandboxMetrics({ sandboxId: toHost(sandboxId) }, { signal }),
        { waits: false },
      );
      return { cpuSeconds: m.cpuSeconds, cpuCores: m.cpuCores, memoryBytes: m.memoryBytes, diskBytes: m.diskBytes };
    },

    async listSandboxes() {
      const response = await call("list", controlTimeoutMs, (signal) => client.listSandboxes({}, { signal }), { waits: false });
      const states: HostSandboxState[] = [];
      for (const s of response.sandboxes) {
        // A stopped entry is on its way out; it no longer counts as existing.
        const sandboxId = sandboxIdFromHost(s.sandboxId);
        if (!sandboxId || s.state === SandboxState.SANDBOX_STATE_STOPPED) continue;
        states.push({
          sandboxId,
          state: s.state === SandboxState.SANDBOX_STATE_PAUSED ? "paused" : "running",
          expiresAt: s.expiresAt ?? null,
        });
      }
      return states;
    },
  };
}

/** The sizes a host reported; null when it did not say (an older agent, or zeros). */
function resourcesOf(sandbox: HostSandbox | undefined): SandboxResources | null {
  const r = sandbox?.resources;
  if (!r || !r.vcpus || !r.memoryMib || !r.diskMib) return null;
  return { vcpus: r.vcpus, memoryMib: r.memoryMib, diskMib: r.diskMib };
}

function egressToHost(rule: EgressRule): EgressPolicy {
  return { mode: egressModeToWire(rule.mode), allowedCidrs: rule.allowedCidrs };
}

function describe(err: unknown, what: string, address: string, signal: AbortSignal): Error {
  if (signal.aborted) return errors.deadlineExceeded(`host agent at ${address} did not finish the ${what} in time`);
  if (err instanceof ClientError) {
    if (err.code === Status.UNAVAILABLE) return errors.unavailable(`host agent at ${address} is unreachable`);
    // The host agent's message is meant for callers (it passes through its own error middleware).
    return new ClientError(err.path, err.code, err.details);
  }
  return err instanceof Error ? err : new Error(String(err));
}
