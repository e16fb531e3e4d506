import type { ListTemplatesResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { principalOf } from "../../identity/principal.js";
import type { TemplateOperations } from "../../templates/template-operations.js";
import type { CallerContext } from "../caller-context.js";
import { templateToApi } from "./to-api.js";

export function listTemplatesHandler(operations: TemplateOperations) {
  return async function listTemplates(_request: unknown, context: CallerContext): Promise<ListTemplatesResponse> {
    const templates = await operations.list(principalOf(context).teamId);
    return { templates: templates.map(templateToApi) };
  };
}
