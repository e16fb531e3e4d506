import type { DestroySandboxRequest, DestroySandboxResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";

/**
 * DestroySandbox deliberately ignores the caller's cancellation: a destroy
 * stopped halfway would leave a sandbox that is neither running nor gone.
 */
export function destroySandboxHandler(manager: SandboxManager) {
  return async (request: DestroySandboxRequest): Promise<DestroySandboxResponse> => {
    await manager.destroy(request.sandboxId);
    return {};
  };
}
