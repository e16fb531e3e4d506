import type { SandboxServiceImplementation } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { HostCapacity, HostInfo } from "../../host/host-info.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { createSandboxHandler } from "./create-sandbox.js";
import { createTemplateHandler } from "./create-template.js";
import { deleteTemplateHandler } from "./delete-template.js";
import { destroySandboxHandler } from "./destroy-sandbox.js";
import { getHostInfoHandler } from "./get-host-info.js";
import { getSandboxMetricsHandler } from "./get-sandbox-metrics.js";
import { listSandboxesHandler } from "./list-sandboxes.js";
import { listTemplatesHandler } from "./list-templates.js";
import { pauseSandboxHandler } from "./pause-sandbox.js";
import { resumeSandboxHandler } from "./resume-sandbox.js";
import { setSandboxTimeoutHandler } from "./set-sandbox-timeout.js";
import { watchEventsHandler } from "./watch-events.js";

export function createSandboxService(manager: SandboxManager, hostInfo: () => Promise<HostInfo & HostCapacity>): SandboxServiceImplementation {
  return {
    createSandbox: createSandboxHandler(manager),
    destroySandbox: destroySandboxHandler(manager),
    listSandboxes: listSandboxesHandler(manager),
    getHostInfo: getHostInfoHandler(hostInfo),
    pauseSandbox: pauseSandboxHandler(manager),
    resumeSandbox: resumeSandboxHandler(manager),
    setSandboxTimeout: setSandboxTimeoutHandler(manager),
    getSandboxMetrics: getSandboxMetricsHandler(manager),
    createTemplate: createTemplateHandler(manager),
    deleteTemplate: deleteTemplateHandler(manager),
    listTemplates: listTemplatesHandler(manager),
    watchEvents: watchEventsHandler(manager),
  };
}
