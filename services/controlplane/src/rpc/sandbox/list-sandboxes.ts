import type { ListSandboxesRequest, ListSandboxesResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { parseMetadataFilter } from "../../lifecycle/validation.js";
import { principalOf } from "../../identity/principal.js";
import type { CallerContext } from "../caller-context.js";
import { sandboxToApi } from "./to-api.js";

/**
 * Lists the caller's team's sandboxes that are not stopped, and those stopped
 * within the retention time, oldest first; `metadata` ("key=value" items)
 * keeps those carrying every label.
 */
export function listSandboxesHandler(lifecycle: SandboxLifecycle) {
  return async function listSandboxes(request: ListSandboxesRequest, context: CallerContext): Promise<ListSandboxesResponse> {
    const metadata = parseMetadataFilter(request.metadata);
    const records = await lifecycle.list(principalOf(context).teamId, { metadata });
    return { sandboxes: records.map((record) => sandboxToApi(record)) };
  };
}
