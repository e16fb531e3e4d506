import { SandboxState, type HostSandbox } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxInfo } from "../../sandbox/sandbox-manager.js";

/** Domain sandbox → wire message. Only running sandboxes are tracked, so the state is RUNNING. */
export function toHostSandbox(info: SandboxInfo): HostSandbox {
  return {
    sandboxId: info.sandboxId,
    templateId: info.templateId,
    state: SandboxState.SANDBOX_STATE_RUNNING,
    startedAt: info.startedAt,
  };
}
