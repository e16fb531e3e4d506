import type { CallContext } from "nice-grpc";
import type { GetSandboxRequest, GetSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { sandboxToApi } from "./to-api.js";
import { sandboxIdOf } from "../sandbox-id.js";

export function getSandboxHandler(lifecycle: SandboxLifecycle) {
  return async function getSandbox(request: GetSandboxRequest, _context: CallContext): Promise<GetSandboxResponse> {
    const id = sandboxIdOf(request.sandboxId);
    return { sandbox: sandboxToApi(await lifecycle.get(id)) };
  };
}
