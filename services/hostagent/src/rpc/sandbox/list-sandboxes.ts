import type { ListSandboxesResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { toHostSandbox } from "./to-host-sandbox.js";

export function listSandboxesHandler(manager: SandboxManager) {
  return async (): Promise<ListSandboxesResponse> => ({ sandboxes: manager.list().map(toHostSandbox) });
}
