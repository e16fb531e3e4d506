import type { DeleteTemplateRequest, DeleteTemplateResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { isPlatformAdmin, principalOf } from "../../identity/principal.js";
import type { TemplateOperations } from "../../templates/template-operations.js";
import type { CallerContext } from "../caller-context.js";

export function deleteTemplateHandler(operations: TemplateOperations) {
  return async function deleteTemplate(request: DeleteTemplateRequest, context: CallerContext): Promise<DeleteTemplateResponse> {
    const principal = principalOf(context);
    await operations.delete({ teamId: principal.teamId, platformAdmin: isPlatformAdmin(principal) }, request.templateId);
    return {};
  };
}
