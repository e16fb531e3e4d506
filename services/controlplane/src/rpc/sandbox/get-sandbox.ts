import type { GetSandboxRequest, GetSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { sandboxToApi } from "./to-api.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";

export function getSandboxHandler(lifecycle: SandboxLifecycle) {
  return async function getSandbox(request: GetSandboxRequest, context: CallerContext): Promise<GetSandboxResponse> {
    const id = sandboxIdOf(request.sandboxId);
    return { sandbox: sandboxToApi(await lifecycle.get(principalOf(context).teamId, id)) };
  };
}
