import type { CallContext } from "nice-grpc";
import type { MoveRequest, MoveResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { movePath } from "../../filesystem/move.js";
import { resolveUserPath } from "../../filesystem/paths.js";
import { fsContext, toEntryInfo, type FsDeps } from "./common.js";

export function createMoveHandler(deps: FsDeps) {
  return async (request: MoveRequest, context: CallContext): Promise<MoveResponse> => {
    const ctx = fsContext(deps, request.user, context.signal);
    const source = resolveUserPath(request.source, ctx.user, "source");
    const destination = resolveUserPath(request.destination, ctx.user, "destination");
    return { entry: toEntryInfo(await movePath(source, destination, ctx)) };
  };
}
