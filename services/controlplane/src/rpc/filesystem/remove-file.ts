import type { RemoveFileRequest, RemoveFileResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requirePath } from "./paths.js";

export function removeFileHandler(resolve: RelayResolver) {
  return async function removeFile(request: RemoveFileRequest, context: CallerContext): Promise<RemoveFileResponse> {
    requirePath(request.path, "path");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    await target.connection.filesystem.remove(
      { path: request.path, user: request.user },
      { metadata: target.metadata, signal: context.signal },
    );
    return {};
  };
}
