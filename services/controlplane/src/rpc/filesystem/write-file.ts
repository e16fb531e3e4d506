import { errors } from "@wrenn/shared";
import type { WriteFileRequest as EnvdWriteFileRequest } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import type { WriteFileRequest, WriteFileResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requirePath } from "./paths.js";

/**
 * The first message names the sandbox and path; every message carries data.
 * Messages are pulled from the caller only as fast as the host takes them.
 */
export function writeFileHandler(resolve: RelayResolver) {
  return async function writeFile(requests: AsyncIterable<WriteFileRequest>, context: CallerContext): Promise<WriteFileResponse> {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw errors.invalidArgument("write_file needs at least one message naming sandbox_id and path");
    const head = first.value;
    requirePath(head.path, "path");
    const target = await resolve(principalOf(context), sandboxIdOf(head.sandboxId));

    async function* chunks(): AsyncGenerator<EnvdWriteFileRequest> {
      yield { path: head.path, data: head.data, user: head.user };
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        if (next.value.sandboxId && next.value.sandboxId !== head.sandboxId) {
          throw errors.invalidArgument("sandbox_id must be the same in every write_file message");
        }
        yield { path: "", data: next.value.data };
      }
    }

    const response = await target.connection.filesystem.writeFile(chunks(), { metadata: target.metadata, signal: context.signal });
    return { entry: response.entry };
  };
}
