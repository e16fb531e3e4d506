import type { CallContext } from "nice-grpc";
import type { PauseSandboxRequest, PauseSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { markAccepted } from "../http-code.js";
import { sandboxToApi } from "./to-api.js";
import { sandboxIdOf } from "../sandbox-id.js";

/** Running → pausing (202) → paused; a paused sandbox is returned as it is (200). */
export function pauseSandboxHandler(lifecycle: SandboxLifecycle) {
  return async function pauseSandbox(request: PauseSandboxRequest, context: CallContext): Promise<PauseSandboxResponse> {
    const id = sandboxIdOf(request.sandboxId);
    const result = await lifecycle.pause(id, { wait: request.wait, signal: context.signal });
    if (!result.done) markAccepted(context);
    return { sandbox: sandboxToApi(result.sandbox) };
  };
}
