import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Filesystem } from "@wrenn/gen/e2b/filesystem/filesystem_pb.js";
import { envdCallerKey, type EnvdCaller, type PublicEnvdClients } from "./envd-calls.js";
import { e2bEntry } from "./filesystem-entry.js";
import { relayed, toConnectError } from "./filesystem-errors.js";
import { watchItems } from "./filesystem-watch.js";
import { createWatcherRegistry, type WatcherRegistry } from "./filesystem-watchers.js";

/** Deepest listing the face asks for: envd caps the entries anyway, this keeps `depth: 2^32-1` from meaning "everything". */
const maxListDepth = 64;

/**
 * E2B's `filesystem.Filesystem`, mapped onto the public FilesystemService:
 * every call is a public call with the SDK's credential, so tenancy, the
 * sandbox-scoped token's reach and the sandbox's state are checked there.
 */
export function filesystemService(clients: PublicEnvdClients, watchers: WatcherRegistry = createWatcherRegistry(clients)): Partial<ServiceImpl<typeof Filesystem>> {
  const fs = clients.filesystem;
  const opts = (caller: EnvdCaller, context: HandlerContext) => ({ metadata: caller.metadata, signal: context.signal });

  return {
    async stat(request, context) {
      const caller = callerOf(context);
      const res = await relayed(() => fs.statFile({ sandboxId: caller.sandboxId, path: request.path, user: caller.user }, opts(caller, context)));
      return { entry: res.entry ? e2bEntry(res.entry) : undefined };
    },

    // E2B's MakeDir makes the parents too and calls an existing directory ALREADY_EXISTS (the SDK then answers false).
    async makeDir(request, context) {
      const caller = callerOf(context);
      const res = await relayed(() => fs.makeDir({ sandboxId: caller.sandboxId, path: request.path, existOk: false, user: caller.user }, opts(caller, context)));
      return { entry: res.entry ? e2bEntry(res.entry) : undefined };
    },

    async move(request, context) {
      const caller = callerOf(context);
      const res = await relayed(() =>
        fs.moveFile({ sandboxId: caller.sandboxId, source: request.source, destination: request.destination, user: caller.user }, opts(caller, context)),
      );
      return { entry: res.entry ? e2bEntry(res.entry) : undefined };
    },

    // Depth as the SDK means it (and Wrenn's envd too): 1 is the directory's own entries, n descends n levels.
    async listDir(request, context) {
      const caller = callerOf(context);
      const depth = Math.min(Math.max(1, request.depth), maxListDepth);
      const res = await relayed(() => fs.listDir({ sandboxId: caller.sandboxId, path: request.path, depth, user: caller.user }, opts(caller, context)));
      return { entries: res.entries.map(e2bEntry) };
    },

    async remove(request, context) {
      const caller = callerOf(context);
      await relayed(() => fs.removeFile({ sandboxId: caller.sandboxId, path: request.path, user: caller.user }, opts(caller, context)));
      return {};
    },

    async *watchDir(request, context) {
      const caller = callerOf(context);
      const spec = { path: request.path, recursive: request.recursive, includeEntry: request.includeEntry };
      try {
        for await (const item of watchItems(clients, caller, spec, context.signal)) {
          if (item.kind === "start") yield { event: { case: "start", value: {} } };
          else if (item.kind === "keepalive") yield { event: { case: "keepalive", value: {} } };
          else yield { event: { case: "filesystem", value: item.event } };
        }
      } catch (err) {
        // The SDK stopping its watch aborts the call: the stream just ends.
        if (context.signal.aborted) return;
        throw toConnectError(err);
      }
    },

    async createWatcher(request, context) {
      const caller = callerOf(context);
      const spec = { path: request.path, recursive: request.recursive, includeEntry: request.includeEntry };
      return { watcherId: await watchers.create(caller, spec, context.signal) };
    },

    getWatcherEvents: (request, context) => Promise.resolve().then(() => ({ events: watchers.poll(callerOf(context), request.watcherId) })),

    removeWatcher: (request, context) =>
      Promise.resolve().then(() => {
        watchers.remove(callerOf(context), request.watcherId);
        return {};
      }),
  };
}

function callerOf(context: HandlerContext): EnvdCaller {
  const caller = context.values.get(envdCallerKey);
  if (!caller) throw new ConnectError("no sandbox named", Code.InvalidArgument);
  return caller;
}
