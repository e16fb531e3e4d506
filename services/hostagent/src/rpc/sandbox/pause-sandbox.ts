import type { PauseSandboxRequest, PauseSandboxResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { toHostSandbox } from "./to-host-sandbox.js";

/** PauseSandbox ignores cancellation: a pause stopped halfway would leave a VM neither running nor saved. */
export function pauseSandboxHandler(manager: SandboxManager) {
  return async (request: PauseSandboxRequest): Promise<PauseSandboxResponse> => ({ sandbox: toHostSandbox(await manager.pause(request.sandboxId)) });
}
