import { ExpiryAction, SandboxState, type HostSandbox } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { ExpiryAction as DomainExpiry, SandboxInfo, SandboxStateName } from "../../sandbox/sandbox-info.js";

export function toSandboxState(state: SandboxStateName): SandboxState {
  return state === "paused" ? SandboxState.SANDBOX_STATE_PAUSED : SandboxState.SANDBOX_STATE_RUNNING;
}

/** Domain sandbox → wire message. */
export function toHostSandbox(info: SandboxInfo): HostSandbox {
  return {
    sandboxId: info.sandboxId,
    templateId: info.templateId,
    state: toSandboxState(info.state),
    startedAt: info.startedAt,
    expiresAt: info.expiresAt,
    onExpiry: info.onExpiry === "pause" ? ExpiryAction.EXPIRY_ACTION_PAUSE : ExpiryAction.EXPIRY_ACTION_KILL,
    resources: { vcpus: info.resources.vcpus, memoryMib: info.resources.memoryMiB, diskMib: info.resources.diskMiB },
  };
}

export function fromExpiryAction(action: ExpiryAction): DomainExpiry {
  return action === ExpiryAction.EXPIRY_ACTION_PAUSE ? "pause" : "kill";
}
