import { errors } from "@wrenn/shared";
import type { SetSandboxTimeoutRequest, SetSandboxTimeoutResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { limits } from "../../lifecycle/validation.js";
import { sandboxToApi } from "./to-api.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";

/** Replaces the TTL, counted from now; 0 removes it. Quick on the host, so answered synchronously. */
export function setSandboxTimeoutHandler(lifecycle: SandboxLifecycle) {
  return async function setSandboxTimeout(request: SetSandboxTimeoutRequest, context: CallerContext): Promise<SetSandboxTimeoutResponse> {
    const id = sandboxIdOf(request.sandboxId);
    if (request.timeoutSeconds > limits.timeoutSeconds) {
      throw errors.invalidArgument(`timeout_seconds must be at most ${limits.timeoutSeconds}, got ${request.timeoutSeconds}`);
    }
    const { sandbox, expiresAt } = await lifecycle.setTimeout(principalOf(context).teamId, id, request.timeoutSeconds);
    return { sandbox: sandboxToApi(sandbox), expiresAt: expiresAt ?? undefined };
  };
}
