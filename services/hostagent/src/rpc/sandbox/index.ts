import type { SandboxServiceImplementation } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { HostInfo } from "../../host/host-info.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { createSandboxHandler } from "./create-sandbox.js";
import { destroySandboxHandler } from "./destroy-sandbox.js";
import { getHostInfoHandler } from "./get-host-info.js";
import { listSandboxesHandler } from "./list-sandboxes.js";

export function createSandboxService(manager: SandboxManager, hostInfo: () => HostInfo): SandboxServiceImplementation {
  return {
    createSandbox: createSandboxHandler(manager),
    destroySandbox: destroySandboxHandler(manager),
    listSandboxes: listSandboxesHandler(manager),
    getHostInfo: getHostInfoHandler(hostInfo),
  };
}
