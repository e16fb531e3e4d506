import type { PauseSandboxRequest, PauseSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { markAccepted } from "../http-code.js";
import { sandboxToApi } from "./to-api.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";

/** Running → pausing (202) → paused; a paused sandbox is returned as it is (200). */
export function pauseSandboxHandler(lifecycle: SandboxLifecycle) {
  return async function pauseSandbox(request: PauseSandboxRequest, context: CallerContext): Promise<PauseSandboxResponse> {
    const id = sandboxIdOf(request.sandboxId);
    const result = await lifecycle.pause(principalOf(context).teamId, id, { wait: request.wait, signal: context.signal });
    if (!result.done) markAccepted(context);
    return { sandbox: sandboxToApi(result.sandbox) };
  };
}
