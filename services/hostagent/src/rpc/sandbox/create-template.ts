import type { CreateTemplateRequest, CreateTemplateResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { toHostSandbox } from "./to-host-sandbox.js";
import { toTemplate } from "./to-template.js";

/** CreateTemplate runs to completion even if the caller goes: its source must not be left paused halfway. */
export function createTemplateHandler(manager: SandboxManager) {
  return async (request: CreateTemplateRequest): Promise<CreateTemplateResponse> => {
    const { template, source } = await manager.createTemplate(request.sandboxId, request.templateId, request.pauseSource);
    return { template: toTemplate(template), source: toHostSandbox(source) };
  };
}
