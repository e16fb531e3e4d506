import type { CallContext } from "nice-grpc";
import type { MakeDirRequest, MakeDirResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { makeDir } from "../../filesystem/make-dir.js";
import { resolveUserPath } from "../../filesystem/paths.js";
import { fsContext, toEntryInfo, type FsDeps } from "./common.js";

export function createMakeDirHandler(deps: FsDeps) {
  return async (request: MakeDirRequest, context: CallContext): Promise<MakeDirResponse> => {
    const ctx = fsContext(deps, request.user, context.signal);
    const path = resolveUserPath(request.path, ctx.user);
    return { entry: toEntryInfo(await makeDir(path, request.existOk, ctx)) };
  };
}
