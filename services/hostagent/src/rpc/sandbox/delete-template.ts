import type { DeleteTemplateRequest, DeleteTemplateResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { errors } from "@wrenn/shared";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";

export function deleteTemplateHandler(manager: SandboxManager) {
  return async (request: DeleteTemplateRequest): Promise<DeleteTemplateResponse> => {
    if (request.templateId === "") throw errors.invalidArgument("template_id is required");
    await manager.deleteTemplate(request.templateId);
    return {};
  };
}
