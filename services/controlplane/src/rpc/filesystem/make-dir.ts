import type { MakeDirRequest, MakeDirResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requirePath } from "./paths.js";

export function makeDirHandler(resolve: RelayResolver) {
  return async function makeDir(request: MakeDirRequest, context: CallerContext): Promise<MakeDirResponse> {
    requirePath(request.path, "path");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const response = await target.connection.filesystem.makeDir(
      { path: request.path, existOk: request.existOk, user: request.user },
      { metadata: target.metadata, signal: context.signal },
    );
    return { entry: response.entry };
  };
}
