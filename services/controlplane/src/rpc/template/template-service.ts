import type { TemplateServiceImplementation } from "@wrenn/gen/wrenn/api/v1/template.js";
import type { TemplateOperations } from "../../templates/template-operations.js";
import { deleteTemplateHandler } from "./delete-template.js";
import { getTemplateHandler } from "./get-template.js";
import { listTemplatesHandler } from "./list-templates.js";
import { snapshotSandboxHandler } from "./snapshot-sandbox.js";

export function createTemplateService(operations: TemplateOperations): TemplateServiceImplementation {
  return {
    listTemplates: listTemplatesHandler(operations),
    getTemplate: getTemplateHandler(operations),
    deleteTemplate: deleteTemplateHandler(operations),
    snapshotSandbox: snapshotSandboxHandler(operations),
  };
}
