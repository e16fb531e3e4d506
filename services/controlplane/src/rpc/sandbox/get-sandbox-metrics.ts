import type { CallContext } from "nice-grpc";
import { fromWireId } from "@wrenn/shared";
import type { GetSandboxMetricsRequest, GetSandboxMetricsResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";

export function getSandboxMetricsHandler(lifecycle: SandboxLifecycle) {
  return async function getSandboxMetrics(request: GetSandboxMetricsRequest, context: CallContext): Promise<GetSandboxMetricsResponse> {
    const id = fromWireId("sb", request.sandboxId, "sandbox_id");
    return lifecycle.metrics(id, context.signal);
  };
}
