import type { CallContext } from "nice-grpc";
import { errors } from "@wrenn/shared";
import type { WriteFileRequest, WriteFileResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { resolveUserPath } from "../../filesystem/paths.js";
import { writeFileAtomic } from "../../filesystem/write-file.js";
import { fsContext, toEntryInfo, type FsDeps } from "./common.js";

/** The first message names the path (and user); every message, the first included, carries data. */
export function createWriteFileHandler(deps: FsDeps) {
  return async (requests: AsyncIterable<WriteFileRequest>, context: CallContext): Promise<WriteFileResponse> => {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw errors.invalidArgument("write needs at least one message with the path");
    const ctx = fsContext(deps, first.value.user, context.signal);
    const path = resolveUserPath(first.value.path, ctx.user);

    async function* data(): AsyncGenerator<Buffer> {
      yield first.value.data;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value.data;
      }
    }
    return { entry: toEntryInfo(await writeFileAtomic(path, data(), ctx)) };
  };
}
