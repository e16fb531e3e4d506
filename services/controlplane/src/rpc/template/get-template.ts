import type { GetTemplateRequest, GetTemplateResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { principalOf } from "../../identity/principal.js";
import type { TemplateOperations } from "../../templates/template-operations.js";
import type { CallerContext } from "../caller-context.js";
import { templateToApi } from "./to-api.js";

export function getTemplateHandler(operations: TemplateOperations) {
  return async function getTemplate(request: GetTemplateRequest, context: CallerContext): Promise<GetTemplateResponse> {
    return { template: templateToApi(await operations.get(principalOf(context).teamId, request.templateId)) };
  };
}
