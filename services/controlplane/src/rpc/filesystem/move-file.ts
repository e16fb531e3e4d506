import type { MoveFileRequest, MoveFileResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requirePath } from "./paths.js";

export function moveFileHandler(resolve: RelayResolver) {
  return async function moveFile(request: MoveFileRequest, context: CallerContext): Promise<MoveFileResponse> {
    requirePath(request.source, "source");
    requirePath(request.destination, "destination");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const response = await target.connection.filesystem.move(
      { source: request.source, destination: request.destination, user: request.user },
      { metadata: target.metadata, signal: context.signal },
    );
    return { entry: response.entry };
  };
}
