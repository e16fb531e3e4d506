import type { CallContext } from "nice-grpc";
import { ExpiryAction, type CreateSandboxRequest, type CreateSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { egressModeFromWire } from "@wrenn/shared";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { validateCreateSandbox } from "../../lifecycle/validation.js";
import { markAccepted } from "../http-code.js";
import { sandboxToApi } from "./to-api.js";

export function createSandboxHandler(lifecycle: SandboxLifecycle) {
  return async function createSandbox(request: CreateSandboxRequest, context: CallContext): Promise<CreateSandboxResponse> {
    const input = validateCreateSandbox({
      templateId: request.templateId,
      metadata: request.metadata,
      envs: request.envs,
      timeoutSeconds: request.timeoutSeconds,
      onExpiry: expiryFromApi(request.onExpiry),
      egress: request.egress ? { mode: egressModeFromApi(request.egress.mode), allowedCidrs: request.egress.allowedCidrs } : undefined,
    });
    const result = await lifecycle.create(input, { wait: request.waitReady, signal: context.signal });
    if (!result.done) markAccepted(context);
    return { sandbox: sandboxToApi(result.sandbox) };
  };
}

function expiryFromApi(value: ExpiryAction) {
  if (value === ExpiryAction.EXPIRY_ACTION_UNSPECIFIED || value === ExpiryAction.EXPIRY_ACTION_KILL) return "kill" as const;
  if (value === ExpiryAction.EXPIRY_ACTION_PAUSE) return "pause" as const;
  return "invalid" as const;
}

/** The public API documents MODE_UNSPECIFIED as MODE_ALLOW_ALL. */
function egressModeFromApi(value: number) {
  const mode = egressModeFromWire(value);
  return mode === "unspecified" ? ("allow-all" as const) : mode;
}
