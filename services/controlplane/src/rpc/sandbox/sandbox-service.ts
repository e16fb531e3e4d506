import type { SandboxServiceImplementation } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { createSandboxHandler, type CreateRateLimit, type ResolveTemplate } from "./create-sandbox.js";
import { destroySandboxHandler } from "./destroy-sandbox.js";
import { getSandboxHandler } from "./get-sandbox.js";
import { getSandboxMetricsHandler } from "./get-sandbox-metrics.js";
import { listSandboxesHandler } from "./list-sandboxes.js";
import { pauseSandboxHandler } from "./pause-sandbox.js";
import { resumeSandboxHandler } from "./resume-sandbox.js";
import { setSandboxTimeoutHandler } from "./set-sandbox-timeout.js";

export function createSandboxService(lifecycle: SandboxLifecycle, createRate: CreateRateLimit, resolveTemplate: ResolveTemplate): SandboxServiceImplementation {
  return {
    createSandbox: createSandboxHandler(lifecycle, createRate, resolveTemplate),
    getSandbox: getSandboxHandler(lifecycle),
    listSandboxes: listSandboxesHandler(lifecycle),
    destroySandbox: destroySandboxHandler(lifecycle),
    pauseSandbox: pauseSandboxHandler(lifecycle),
    resumeSandbox: resumeSandboxHandler(lifecycle),
    setSandboxTimeout: setSandboxTimeoutHandler(lifecycle),
    getSandboxMetrics: getSandboxMetricsHandler(lifecycle),
  };
}
