import type { GetSandboxMetricsRequest, GetSandboxMetricsResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { toSandboxState } from "./to-host-sandbox.js";

export function getSandboxMetricsHandler(manager: SandboxManager) {
  return async (request: GetSandboxMetricsRequest): Promise<GetSandboxMetricsResponse> => {
    const m = await manager.metrics(request.sandboxId);
    return { cpuSeconds: m.cpuSeconds, cpuCores: m.cpuCores, memoryBytes: m.memoryBytes, diskBytes: m.diskBytes, state: toSandboxState(m.state) };
  };
}
