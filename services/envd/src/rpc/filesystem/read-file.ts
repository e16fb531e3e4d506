import type { CallContext } from "nice-grpc";
import type { ReadFileRequest, ReadFileResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { resolveUserPath } from "../../filesystem/paths.js";
import { readFileChunks } from "../../filesystem/read-file.js";
import { fsContext, type FsDeps } from "./common.js";

export function createReadFileHandler(deps: FsDeps) {
  return async function* readFile(request: ReadFileRequest, context: CallContext): AsyncGenerator<ReadFileResponse> {
    const ctx = fsContext(deps, request.user, context.signal);
    const path = resolveUserPath(request.path, ctx.user);
    for await (const data of readFileChunks(path, ctx)) yield { data };
  };
}
