import type { ListProcessesRequest, ListProcessesResponse } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";

export function listProcessesHandler(resolve: RelayResolver) {
  return async function listProcesses(request: ListProcessesRequest, context: CallerContext): Promise<ListProcessesResponse> {
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const response = await target.connection.process.list({}, { metadata: target.metadata, signal: context.signal });
    return { processes: response.processes };
  };
}
