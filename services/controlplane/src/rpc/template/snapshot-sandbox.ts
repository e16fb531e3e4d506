import type { SnapshotSandboxRequest, SnapshotSandboxResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { principalOf } from "../../identity/principal.js";
import type { TemplateOperations } from "../../templates/template-operations.js";
import type { CallerContext } from "../caller-context.js";
import { sandboxIdOf } from "../sandbox-id.js";
import { sandboxToApi } from "../sandbox/to-api.js";
import { templateToApi } from "./to-api.js";

export function snapshotSandboxHandler(operations: TemplateOperations) {
  return async function snapshotSandbox(request: SnapshotSandboxRequest, context: CallerContext): Promise<SnapshotSandboxResponse> {
    const teamId = principalOf(context).teamId;
    const sandboxId = sandboxIdOf(request.sandboxId);
    const { template, source } = await operations.snapshot(teamId, { sandboxId, name: request.name, pauseSource: request.pauseSource }, context.signal);
    return { template: templateToApi(template), source: sandboxToApi(source) };
  };
}
