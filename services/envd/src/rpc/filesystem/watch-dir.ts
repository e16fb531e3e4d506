import type { CallContext } from "nice-grpc";
import { errors } from "@wrenn/shared";
import { FileEventType, type WatchDirRequest, type WatchDirResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { resolveUserPath } from "../../filesystem/paths.js";
import { watchDir, type FileEventKind } from "../../filesystem/watch-dir.js";
import { fsContext, type FsDeps } from "./common.js";

const kinds: Record<FileEventKind, FileEventType> = {
  create: FileEventType.FILE_EVENT_TYPE_CREATE,
  write: FileEventType.FILE_EVENT_TYPE_WRITE,
  remove: FileEventType.FILE_EVENT_TYPE_REMOVE,
  rename: FileEventType.FILE_EVENT_TYPE_RENAME,
  chmod: FileEventType.FILE_EVENT_TYPE_CHMOD,
};

/** `started` once the watch is in place, then changes until the caller leaves (the watcher is closed then). */
export function createWatchDirHandler(deps: FsDeps) {
  return async function* watchDirHandler(request: WatchDirRequest, context: CallContext): AsyncGenerator<WatchDirResponse> {
    const ctx = fsContext(deps, request.user, context.signal);
    const path = resolveUserPath(request.path, ctx.user);
    const call = deps.lifecycle.beginLongCall(context.signal);
    const watch = await watchDir(path, request.recursive, ctx).catch((err) => {
      call.end();
      throw err;
    });
    const onAbort = () => watch.close();
    call.signal.addEventListener("abort", onAbort, { once: true });
    try {
      yield { started: {} };
      for (;;) {
        const batch = await watch.next(deps.keepaliveMs);
        if (!batch || call.signal.aborted) break;
        if (batch === "timeout") {
          yield { keepalive: {} };
          continue;
        }
        for (const c of batch) yield { file: { name: c.name, path: c.path, type: kinds[c.kind] } };
      }
      if (call.dropped) throw errors.unavailable("the sandbox was restored from a snapshot; reconnect");
    } finally {
      call.signal.removeEventListener("abort", onAbort);
      watch.close();
      call.end();
    }
  };
}
