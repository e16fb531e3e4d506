import type { CallContext } from "nice-grpc";
import type { CreateSandboxRequest, CreateSandboxResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { validateCreateSandbox } from "../../lifecycle/validation.js";
import { markAccepted } from "../http-code.js";
import { sandboxToApi } from "./to-api.js";

export function createSandboxHandler(lifecycle: SandboxLifecycle) {
  return async function createSandbox(request: CreateSandboxRequest, context: CallContext): Promise<CreateSandboxResponse> {
    const input = validateCreateSandbox(request);
    const result = await lifecycle.create(input, { wait: request.waitReady, signal: context.signal });
    if (!result.done) markAccepted(context);
    return { sandbox: sandboxToApi(result.sandbox) };
  };
}
