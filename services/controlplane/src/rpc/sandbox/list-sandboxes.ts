import type { CallContext } from "nice-grpc";
import type { ListSandboxesRequest, ListSandboxesResponse } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxLifecycle } from "../../lifecycle/sandbox-lifecycle.js";
import { sandboxToApi } from "./to-api.js";

/** Lists every sandbox that is not stopped, and those stopped within the retention time, oldest first. */
export function listSandboxesHandler(lifecycle: SandboxLifecycle) {
  return async function listSandboxes(_request: ListSandboxesRequest, _context: CallContext): Promise<ListSandboxesResponse> {
    const records = await lifecycle.list();
    return { sandboxes: records.map(sandboxToApi) };
  };
}
