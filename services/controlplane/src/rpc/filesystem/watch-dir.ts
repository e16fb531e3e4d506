import type { WatchDirRequest, WatchDirResponse } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requirePath } from "./paths.js";

/** Relays envd's watch until the caller leaves, which also ends the watch in envd. */
export function watchDirHandler(resolve: RelayResolver) {
  return async function* watchDir(request: WatchDirRequest, context: CallerContext): AsyncGenerator<WatchDirResponse, void> {
    requirePath(request.path, "path");
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    const events = target.connection.filesystem.watchDir(
      { path: request.path, recursive: request.recursive, user: request.user },
      { metadata: target.metadata, signal: context.signal },
    );
    for await (const event of events) yield { started: event.started, file: event.file, keepalive: event.keepalive };
  };
}
