import type { CallContext } from "nice-grpc";
import { fromWireId } from "@wrenn/shared";
import type { GetSandboxRequest, GetSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { sandboxToApi } from "./to-api.js";

export function getSandboxHandler(lifecycle: SandboxLifecycle) {
  return async function getSandbox(request: GetSandboxRequest, _context: CallContext): Promise<GetSandboxResponse> {
    const id = fromWireId("sb", request.sandboxId, "sandbox_id");
    return { sandbox: sandboxToApi(await lifecycle.get(id)) };
  };
}
