import { errors } from "@wrenn/shared";
import type { ResumeSandboxRequest, ResumeSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { limits } from "../../lifecycle/validation.js";
import { markAccepted } from "../http-code.js";
import { sandboxToApi } from "./to-api.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";

/** Paused → resuming (202) → running; a running sandbox is returned as it is (200). */
export function resumeSandboxHandler(lifecycle: SandboxLifecycle) {
  return async function resumeSandbox(request: ResumeSandboxRequest, context: CallerContext): Promise<ResumeSandboxResponse> {
    const id = sandboxIdOf(request.sandboxId);
    if (request.timeoutSeconds > limits.timeoutSeconds) {
      throw errors.invalidArgument(`timeout_seconds must be at most ${limits.timeoutSeconds}, got ${request.timeoutSeconds}`);
    }
    const result = await lifecycle.resume(principalOf(context).teamId, id, { timeoutSeconds: request.timeoutSeconds, wait: request.wait, signal: context.signal });
    if (!result.done) markAccepted(context);
    return { sandbox: sandboxToApi(result.sandbox) };
  };
}
