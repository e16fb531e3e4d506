import type { ReadFileRequest, ReadFileResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requirePath } from "./paths.js";

/** Relays chunks one at a time (back-pressure); a cancelled caller cancels the read in envd. */
export function readFileHandler(resolve: RelayResolver) {
  return async function* readFile(request: ReadFileRequest, context: CallerContext): AsyncGenerator<ReadFileResponse, void> {
    requirePath(request.path, "path");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const chunks = target.connection.filesystem.readFile(
      { path: request.path, user: request.user },
      { metadata: target.metadata, signal: context.signal },
    );
    for await (const chunk of chunks) yield { data: chunk.data };
  };
}
