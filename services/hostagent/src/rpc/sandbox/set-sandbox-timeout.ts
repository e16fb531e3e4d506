import type { SetSandboxTimeoutRequest, SetSandboxTimeoutResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { toHostSandbox } from "./to-host-sandbox.js";

export function setSandboxTimeoutHandler(manager: SandboxManager) {
  return async (request: SetSandboxTimeoutRequest): Promise<SetSandboxTimeoutResponse> => ({
    sandbox: toHostSandbox(await manager.setTimeout(request.sandboxId, request.timeoutSeconds)),
  });
}
