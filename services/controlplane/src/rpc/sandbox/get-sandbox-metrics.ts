import type { CallContext } from "nice-grpc";
import type { GetSandboxMetricsRequest, GetSandboxMetricsResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { sandboxIdOf } from "../sandbox-id.js";

export function getSandboxMetricsHandler(lifecycle: SandboxLifecycle) {
  return async function getSandboxMetrics(request: GetSandboxMetricsRequest, context: CallContext): Promise<GetSandboxMetricsResponse> {
    const id = sandboxIdOf(request.sandboxId);
    return lifecycle.metrics(id, context.signal);
  };
}
