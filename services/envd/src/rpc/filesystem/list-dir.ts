import type { CallContext } from "nice-grpc";
import type { ListDirRequest, ListDirResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { listDir } from "../../filesystem/list-dir.js";
import { resolveUserPath } from "../../filesystem/paths.js";
import { fsContext, toEntryInfo, type FsDeps } from "./common.js";

export function createListDirHandler(deps: FsDeps) {
  return async (request: ListDirRequest, context: CallContext): Promise<ListDirResponse> => {
    const ctx = fsContext(deps, request.user, context.signal);
    const path = resolveUserPath(request.path, ctx.user);
    const entries = await listDir(path, request.depth, ctx);
    return { entries: entries.map(toEntryInfo) };
  };
}
