import type { StatFileRequest, StatFileResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requirePath } from "./paths.js";

export function statFileHandler(resolve: RelayResolver) {
  return async function statFile(request: StatFileRequest, context: CallerContext): Promise<StatFileResponse> {
    requirePath(request.path, "path");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const response = await target.connection.filesystem.stat(
      { path: request.path, user: request.user },
      { metadata: target.metadata, signal: context.signal },
    );
    return { entry: response.entry };
  };
}
