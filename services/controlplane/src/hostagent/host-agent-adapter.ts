import { ClientError, Status } from "nice-grpc";
import { errors, toWireId } from "@wrenn/shared";
import type { SandboxHost } from "../lifecycle/ports.js";
import type { HostConnection } from "./host-connection.js";

/** Deadline for a host agent's create: its own start timeout plus slack for the answer. */
const createSlackMs = 15_000;
const destroyTimeoutMs = 60_000;

/**
 * The lifecycle's view of a host agent, over its generated gRPC client.
 * gRPC failures come back as errors that keep their status code, with a
 * message that says which host call failed.
 */
export function createSandboxHost(connection: HostConnection): SandboxHost {
  return {
    async createSandbox({ sandboxId, templateId, envs, startTimeoutSeconds }) {
      const signal = AbortSignal.timeout(startTimeoutSeconds * 1000 + createSlackMs);
      try {
        await connection.sandboxes.createSandbox(
          { sandboxId: toWireId("sb", sandboxId), templateId, envs, startTimeoutSeconds },
          { signal },
        );
      } catch (err) {
        throw describe(err, "create", connection.address, signal);
      }
    },

    async destroySandbox(sandboxId) {
      const signal = AbortSignal.timeout(destroyTimeoutMs);
      try {
        await connection.sandboxes.destroySandbox({ sandboxId: toWireId("sb", sandboxId) }, { signal });
        return "destroyed";
      } catch (err) {
        if (err instanceof ClientError && err.code === Status.NOT_FOUND) return "not-found";
        throw describe(err, "destroy", connection.address, signal);
      }
    },
  };
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
