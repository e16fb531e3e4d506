import type { CallContext } from "nice-grpc";
import type { RemoveRequest, RemoveResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { resolveUserPath } from "../../filesystem/paths.js";
import { removePath } from "../../filesystem/remove.js";
import { fsContext, type FsDeps } from "./common.js";

export function createRemoveHandler(deps: FsDeps) {
  return async (request: RemoveRequest, context: CallContext): Promise<RemoveResponse> => {
    const ctx = fsContext(deps, request.user, context.signal);
    await removePath(resolveUserPath(request.path, ctx.user), ctx);
    return {};
  };
}
