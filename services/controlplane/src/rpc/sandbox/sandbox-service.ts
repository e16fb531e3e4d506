import type { SandboxServiceImplementation } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { createSandboxHandler } from "./create-sandbox.js";
import { destroySandboxHandler } from "./destroy-sandbox.js";
import { getSandboxHandler } from "./get-sandbox.js";
import { listSandboxesHandler } from "./list-sandboxes.js";

export function createSandboxService(lifecycle: SandboxLifecycle): SandboxServiceImplementation {
  return {
    createSandbox: createSandboxHandler(lifecycle),
    getSandbox: getSandboxHandler(lifecycle),
    listSandboxes: listSandboxesHandler(lifecycle),
    destroySandbox: destroySandboxHandler(lifecycle),
  };
}
