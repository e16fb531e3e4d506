import { errors, grpcStatusOf, Status } from "@wrenn/shared";
import type { SandboxRecord } from "./sandbox.js";
import { stoppedMessage } from "./visibility.js";

/**
 * Process, file and port calls are relayed to the sandbox's envd through its
 * host. `sandbox` is what visibility made of the row (`Visibility.operable`:
 * NOT_FOUND, or FAILED_PRECONDITION "sandbox is stopped"); on top of that
 * the sandbox must be running. Returns the UUID of its host.
 */
export function relayHostOf(sandbox: SandboxRecord): string {
  switch (sandbox.status) {
    case "running":
      break;
    case "starting":
      throw errors.failedPrecondition("sandbox is still starting; retry once it is running (or create it with wait_ready)");
    case "pausing":
    case "paused":
      throw errors.failedPrecondition("sandbox is paused; resume it first");
    case "resuming":
      throw errors.failedPrecondition("sandbox is resuming; retry once it is running (or resume it with wait)");
    default:
      throw errors.failedPrecondition(`sandbox is ${sandbox.status}, not running`);
  }
  if (!sandbox.hostId) throw errors.failedPrecondition("sandbox has no host");
  return sandbox.hostId;
}

/**
 * A relayed call that broke (UNAVAILABLE: the envd connection went away
 * mid-call) is explained by what happened to the sandbox meanwhile: one
 * being destroyed or already stopped is FAILED_PRECONDITION "sandbox is
 * stopped", one that is otherwise no longer running answers what a new call
 * would. `current` reads the sandbox again through visibility (and so throws
 * NOT_FOUND or "sandbox is stopped" itself). A sandbox still running leaves
 * the host's error as it was: the cut was the host's or the network's.
 */
export async function explainCutCall(err: unknown, current: () => Promise<SandboxRecord>): Promise<unknown> {
  if (grpcStatusOf(err)?.code !== Status.UNAVAILABLE) return err;
  try {
    const sandbox = await current();
    if (sandbox.status === "stopping") return errors.failedPrecondition(stoppedMessage);
    relayHostOf(sandbox);
    return err;
  } catch (refusal) {
    return grpcStatusOf(refusal) ? refusal : err;
  }
}
