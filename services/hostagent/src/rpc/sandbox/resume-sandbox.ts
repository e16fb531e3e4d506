import type { ResumeSandboxRequest, ResumeSandboxResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { toHostSandbox } from "./to-host-sandbox.js";

/** ResumeSandbox runs on its own deadline, never the caller's (see the manager). */
export function resumeSandboxHandler(manager: SandboxManager) {
  return async (request: ResumeSandboxRequest): Promise<ResumeSandboxResponse> => ({
    sandbox: toHostSandbox(await manager.resume(request.sandboxId, request.timeoutSeconds)),
  });
}
