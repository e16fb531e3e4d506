import type { CallContext } from "nice-grpc";
import type { StatRequest, StatResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { resolveUserPath } from "../../filesystem/paths.js";
import { statPath } from "../../filesystem/stat.js";
import { fsContext, toEntryInfo, type FsDeps } from "./common.js";

export function createStatHandler(deps: FsDeps) {
  return async (request: StatRequest, context: CallContext): Promise<StatResponse> => {
    const ctx = fsContext(deps, request.user, context.signal);
    const path = resolveUserPath(request.path, ctx.user);
    return { entry: toEntryInfo(await statPath(path, ctx)) };
  };
}
