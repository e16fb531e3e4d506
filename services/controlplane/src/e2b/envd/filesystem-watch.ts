import type { MessageInitShape } from "@bufbuild/protobuf";
import { EventType, type FilesystemEventSchema } from "@wrenn/gen/e2b/filesystem/filesystem_pb.js";
import { FileEventType, type FileEvent } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import type { EnvdCaller, PublicEnvdClients } from "./envd-calls.js";
import { e2bEntry } from "./filesystem-entry.js";

export type E2bFsEvent = MessageInitShape<typeof FilesystemEventSchema>;

/** What one watch streams, Wrenn's events already in E2B's words. */
export type WatchItem = { kind: "start" } | { kind: "keepalive" } | { kind: "event"; event: E2bFsEvent };

export interface WatchSpec {
  path: string;
  recursive: boolean;
  includeEntry: boolean;
}

const eventTypes: Record<FileEventType, EventType> = {
  [FileEventType.FILE_EVENT_TYPE_UNSPECIFIED]: EventType.UNSPECIFIED,
  [FileEventType.FILE_EVENT_TYPE_CREATE]: EventType.CREATE,
  [FileEventType.FILE_EVENT_TYPE_WRITE]: EventType.WRITE,
  [FileEventType.FILE_EVENT_TYPE_REMOVE]: EventType.REMOVE,
  [FileEventType.FILE_EVENT_TYPE_RENAME]: EventType.RENAME,
  [FileEventType.FILE_EVENT_TYPE_CHMOD]: EventType.CHMOD,
  [FileEventType.UNRECOGNIZED]: EventType.UNSPECIFIED,
};

/**
 * The public WatchDir for one E2B watch: the start once Wrenn's watch is in
 * place, each change, and the keepalives envd sends while nothing happens.
 * Ends when `signal` aborts (which also ends the watch in the sandbox).
 */
export async function* watchItems(clients: PublicEnvdClients, caller: EnvdCaller, spec: WatchSpec, signal: AbortSignal): AsyncGenerator<WatchItem> {
  const events = clients.filesystem.watchDir(
    { sandboxId: caller.sandboxId, path: spec.path, recursive: spec.recursive, user: caller.user },
    { metadata: caller.metadata, signal },
  );
  const replaced = new Set<string>();
  for await (const message of events) {
    if (message.started) yield { kind: "start" };
    else if (message.keepalive) yield { kind: "keepalive" };
    else if (message.file) {
      for (const file of asE2bWrites(message.file, replaced)) yield { kind: "event", event: await e2bEvent(clients, caller, file, spec.includeEntry, signal) };
    }
  }
}

/** Wrenn's envd writes a file as `.<name>.wrenn-<12 hex>.tmp` renamed over it, so a file never shows half written. */
const tempName = /^\.(.+)\.wrenn-[0-9a-f]{12}\.tmp$/;
const maxPendingWrites = 1024;

/**
 * E2B's envd writes in place, so its watchers see the file itself created
 * and written. Wrenn's atomic write shows as events on a temporary file and
 * then a create of the file: the temporary file's events are dropped, and
 * the create it ends in is followed by a write of the file, which is what an
 * E2B watcher waits for. Every other change passes as it is.
 */
export function asE2bWrites(file: FileEvent, replaced: Set<string>): FileEvent[] {
  const slash = file.name.lastIndexOf("/");
  const dir = file.name.slice(0, slash + 1);
  const temp = tempName.exec(file.name.slice(slash + 1));
  if (temp) {
    if (file.type === FileEventType.FILE_EVENT_TYPE_RENAME) {
      if (replaced.size >= maxPendingWrites) replaced.clear();
      replaced.add(dir + temp[1]!);
    }
    return [];
  }
  if (file.type === FileEventType.FILE_EVENT_TYPE_CREATE && replaced.delete(file.name)) {
    return [file, { ...file, type: FileEventType.FILE_EVENT_TYPE_WRITE }];
  }
  return [file];
}

/** One change; with includeEntry, the entry as it is now (best effort: gone after a remove or a rename away, as the SDK allows). */
async function e2bEvent(clients: PublicEnvdClients, caller: EnvdCaller, file: FileEvent, includeEntry: boolean, signal: AbortSignal): Promise<E2bFsEvent> {
  const type = eventTypes[file.type] ?? EventType.UNSPECIFIED;
  const event: E2bFsEvent = { name: file.name, type };
  if (includeEntry && type !== EventType.REMOVE && type !== EventType.RENAME && file.path) {
    const stat = await clients.filesystem
      .statFile({ sandboxId: caller.sandboxId, path: file.path, user: caller.user }, { metadata: caller.metadata, signal })
      .catch(() => undefined);
    if (stat?.entry) event.entry = e2bEntry(stat.entry);
  }
  return event;
}
