import type { ListTemplatesResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { SandboxManager } from "../../sandbox/sandbox-manager.js";
import { toTemplate } from "./to-template.js";

export function listTemplatesHandler(manager: SandboxManager) {
  return async (): Promise<ListTemplatesResponse> => ({ templates: manager.templates().map(toTemplate) });
}
