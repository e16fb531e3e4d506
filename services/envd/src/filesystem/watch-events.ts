export type FileEventKind = "create" | "write" | "remove" | "rename" | "chmod";

/** What fs.watch (inotify) said about one path, in arrival order. */
export interface RawEvent {
  path: string;
  type: "rename" | "change";
}

/** What is known about a path: from the last batch, or lstat now. */
export interface Known {
  ino: bigint;
  mode: bigint;
  mtimeNs: bigint;
  size: bigint;
}

export interface PathChange {
  path: string;
  kind: FileEventKind;
}

/**
 * Turns one batch of raw events into file events, in the order they
 * happened. fs.watch only says "rename" (something appeared or went) or
 * "change" (contents or metadata), and a path may have appeared and gone
 * again before the batch is judged, so each path's events are replayed
 * against its presence: before the batch (`before`), toggled by every
 * "rename", and at the end (`after`, lstat now).
 *
 * - A "rename" of an absent path is a create; of a present one a remove,
 *   unless it is the path's last event and the path now holds another inode
 *   (replaced by a rename over it): then it is a create.
 * - A "change" of a present path is a write; for its last event, compared
 *   with what was known, a mode change is a chmod and a change of neither
 *   mode, size nor mtime (only ctime, e.g. a link count) is not reported.
 * - A remove followed in the batch by the create of another path is a rename
 *   when the inodes match (the gone path's inode as known before, the new
 *   path's now) or, when either inode is unknown because the file is gone,
 *   when the create comes right after the remove (a move is two consecutive
 *   inotify events).
 * - A single "rename" of a path already known with the inode it has now
 *   adds nothing (a scan of a new directory reported it first).
 * - Whatever the replay got wrong about the end state (a missed event) is
 *   settled by one last create or remove.
 */
export function interpretBatch(batch: RawEvent[], before: Map<string, Known>, after: Map<string, Known | undefined>): PathChange[] {
  const lastIndex = new Map<string, number>();
  const lastRenameIndex = new Map<string, number>();
  const renameCount = new Map<string, number>();
  batch.forEach((e, i) => {
    lastIndex.set(e.path, i);
    if (e.type === "rename") {
      lastRenameIndex.set(e.path, i);
      renameCount.set(e.path, (renameCount.get(e.path) ?? 0) + 1);
    }
  });

  interface Step extends PathChange {
    /** For a remove: the inode that went, when known. For a create: the inode there now, when it is still there. */
    ino?: bigint;
    /** Position in the raw batch, for the adjacency of a move's two halves. */
    at: number;
  }
  const steps: Step[] = [];
  const present = new Map<string, boolean>();
  const isPresent = (p: string) => present.get(p) ?? before.has(p);

  batch.forEach(({ path: p, type }, i) => {
    const now = after.get(p);
    const last = lastIndex.get(p) === i;
    if (type === "rename") {
      // Already known as it is now (found by the scan of a directory that
      // appeared, before its own event arrived): nothing new.
      if (renameCount.get(p) === 1 && !present.has(p) && now !== undefined && before.get(p)?.ino === now.ino) return;
      const replaced = isPresent(p) && lastRenameIndex.get(p) === i && now !== undefined && before.get(p)?.ino !== now.ino && !present.has(p);
      if (isPresent(p) && !replaced) {
        steps.push({ path: p, kind: "remove", ino: present.has(p) ? undefined : before.get(p)?.ino, at: i });
        present.set(p, false);
      } else {
        steps.push({ path: p, kind: "create", ino: lastRenameIndex.get(p) === i ? now?.ino : undefined, at: i });
        present.set(p, true);
      }
      return;
    }
    if (!isPresent(p)) {
      steps.push({ path: p, kind: "create", ino: lastRenameIndex.get(p) === undefined ? now?.ino : undefined, at: i });
      present.set(p, true);
      return;
    }
    const was = before.get(p);
    if (last && now && was && !present.has(p)) {
      if (was.mode !== now.mode) steps.push({ path: p, kind: "chmod", at: i });
      else if (was.mtimeNs !== now.mtimeNs || was.size !== now.size) steps.push({ path: p, kind: "write", at: i });
      return;
    }
    // Collapse a run of writes to one path into one event.
    const previous = steps.at(-1);
    if (previous?.path !== p || previous.kind !== "write") steps.push({ path: p, kind: "write", at: i });
  });

  // Settle what the replay missed.
  for (const [p, now] of after) {
    const replayed = present.get(p) ?? before.has(p);
    if (now && !replayed) steps.push({ path: p, kind: "create", ino: now.ino, at: batch.length });
    if (!now && replayed) steps.push({ path: p, kind: "remove", ino: before.get(p)?.ino, at: batch.length });
  }

  // Pair a move's halves: the remove becomes a rename.
  const paired = new Set<Step>();
  for (const gone of steps) {
    if (gone.kind !== "remove") continue;
    const arrival = steps.find((s) => {
      if (s.kind !== "create" || s.path === gone.path || paired.has(s) || s.at < gone.at) return false;
      if (gone.ino !== undefined && s.ino !== undefined) return gone.ino === s.ino;
      return s.at === gone.at + 1;
    });
    if (arrival) {
      paired.add(arrival);
      gone.kind = "rename";
    }
  }
  return steps.map(({ path, kind }) => ({ path, kind }));
}
