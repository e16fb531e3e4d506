import type { GetSandboxMetricsRequest, GetSandboxMetricsResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";

export function getSandboxMetricsHandler(lifecycle: SandboxLifecycle) {
  return async function getSandboxMetrics(request: GetSandboxMetricsRequest, context: CallerContext): Promise<GetSandboxMetricsResponse> {
    const id = sandboxIdOf(request.sandboxId);
    return lifecycle.metrics(principalOf(context).teamId, id, context.signal);
  };
}
