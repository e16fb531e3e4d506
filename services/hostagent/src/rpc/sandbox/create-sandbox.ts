import type { CallContext } from "nice-grpc";
import type { CreateSandboxRequest, CreateSandboxResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { fromEgressPolicy } from "./egress.js";
import { fromExpiryAction, toHostSandbox } from "./to-host-sandbox.js";

/** CreateSandbox: validation happens in the manager (it owns the id, template and TTL rules). */
export function createSandboxHandler(manager: SandboxManager) {
  return async (request: CreateSandboxRequest, context: CallContext): Promise<CreateSandboxResponse> => {
    const info = await manager.create(
      {
        sandboxId: request.sandboxId,
        templateId: request.templateId,
        envs: request.envs,
        startTimeoutSeconds: request.startTimeoutSeconds,
        timeoutSeconds: request.timeoutSeconds,
        onExpiry: fromExpiryAction(request.onExpiry),
        egress: fromEgressPolicy(request.egress),
      },
      context.signal,
    );
    return { sandbox: toHostSandbox(info) };
  };
}
