import type { DestroySandboxRequest, DestroySandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { markAccepted } from "../http-code.js";
import { sandboxToApi } from "./to-api.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";

/**
 * Destroying is idempotent: a stopped sandbox is returned as it is (200), a
 * stopping one as it is (202), anything else starts stopping (202, or 200
 * once stopped when `wait` is set).
 */
export function destroySandboxHandler(lifecycle: SandboxLifecycle) {
  return async function destroySandbox(request: DestroySandboxRequest, context: CallerContext): Promise<DestroySandboxResponse> {
    const id = sandboxIdOf(request.sandboxId);
    const result = await lifecycle.destroy(principalOf(context).teamId, id, { wait: request.wait, signal: context.signal });
    if (!result.done) markAccepted(context);
    return { sandbox: sandboxToApi(result.sandbox) };
  };
}
