import type { ListDirRequest, ListDirResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requirePath } from "./paths.js";

export function listDirHandler(resolve: RelayResolver) {
  return async function listDir(request: ListDirRequest, context: CallerContext): Promise<ListDirResponse> {
    requirePath(request.path, "path");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const response = await target.connection.filesystem.listDir(
      { path: request.path, depth: request.depth, user: request.user },
      { metadata: target.metadata, signal: context.signal },
    );
    return { entries: response.entries };
  };
}
