import { watch, type BigIntStats, type FSWatcher } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { errors } from "@wrenn/shared";
import { R, X } from "./access.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";
import { createWakeSignal } from "../util/wake-signal.js";

export type FileEventKind = "create" | "write" | "remove" | "rename" | "chmod";

export interface FileChange {
  /** Relative to the watched directory. */
  name: string;
  path: string;
  kind: FileEventKind;
}

interface Known {
  ino: bigint;
  mode: bigint;
  mtimeNs: bigint;
  size: bigint;
}

/** Changes within this window are judged together, so a rename's two halves meet. */
const batchMs = 20;
/** A consumer this far behind ends the watch with RESOURCE_EXHAUSTED instead of losing events. */
const maxPending = 100_000;

export interface DirWatch {
  /** The next batch of changes, "timeout" after `idleMs` without any, or undefined once the watch ended. */
  next(idleMs: number): Promise<FileChange[] | "timeout" | undefined>;
  close(): void;
}

/**
 * Watches a directory (and, when recursive, every directory below it,
 * including ones created later) with Node's fs.watch (inotify). inotify's
 * "rename" and "change" are refined with lstat against what was last seen:
 * a path that appears is a create, one that disappears a remove, and when a
 * disappearing and an appearing path share an inode in one batch the old
 * path gets a rename followed by a create of the new one. A "change" that
 * alters the mode is a chmod; one that alters size or mtime a write; one that
 * alters only ctime (link count, a rename) is not reported. A move out of
 * the watched tree is reported as a remove.
 */
export async function watchDir(path: string, recursive: boolean, ctx: FsContext): Promise<DirWatch> {
  let st: BigIntStats;
  try {
    await ctx.access.require(path, ctx.user, R | X, "watch");
    st = await lstat(path, { bigint: true });
  } catch (err) {
    throw fsError(err, "watch", path);
  }
  if (!st.isDirectory()) throw errors.failedPrecondition(`watch ${path}: not a directory`);

  const known = new Map<string, Known>();
  await snapshotTree(path, recursive, known);

  let pendingPaths = new Map<string, "rename" | "change">();
  const ready: FileChange[][] = [];
  let readyCount = 0;
  let failure: Error | undefined;
  let closed = false;
  const wakeSignal = createWakeSignal();
  let batchTimer: NodeJS.Timeout | undefined;

  const notify = wakeSignal.notify;

  let watcher: FSWatcher;
  try {
    watcher = watch(path, { recursive, persistent: false }, (type, filename) => {
      if (closed || !filename) return;
      const full = join(path, filename.toString());
      if (pendingPaths.get(full) !== "rename") pendingPaths.set(full, type === "rename" ? "rename" : "change");
      batchTimer ??= setTimeout(() => void flush(), batchMs);
    });
  } catch (err) {
    throw fsError(err, "watch", path);
  }
  watcher.on("error", (err) => {
    failure = err;
    close();
  });

  async function flush() {
    const batch = pendingPaths;
    pendingPaths = new Map();
    const changes: FileChange[] = [];
    const gone: { path: string; ino: bigint }[] = [];
    const appeared: { path: string; stat: Known }[] = [];
    for (const [p, type] of batch) {
      const now = await statOrUndefined(p);
      const before = known.get(p);
      if (type === "rename" || !before || !now) {
        if (before && !now) {
          known.delete(p);
          gone.push({ path: p, ino: before.ino });
        } else if (now && (!before || before.ino !== now.ino)) {
          known.set(p, now);
          appeared.push({ path: p, stat: now });
        } else if (before && now) {
          known.set(p, now);
          if (before.mode !== now.mode) changes.push(change(p, "chmod"));
          else if (before.mtimeNs !== now.mtimeNs || before.size !== now.size) changes.push(change(p, "write"));
        }
        continue;
      }
      known.set(p, now);
      if (before.mode !== now.mode) changes.push(change(p, "chmod"));
      else if (before.mtimeNs !== now.mtimeNs || before.size !== now.size) changes.push(change(p, "write"));
    }
    for (const g of gone) {
      const moved = appeared.some((a) => a.stat.ino === g.ino);
      changes.push(change(g.path, moved ? "rename" : "remove"));
    }
    for (const a of appeared) changes.push(change(a.path, "create"));
    batchTimer = undefined;
    if (pendingPaths.size > 0) batchTimer = setTimeout(() => void flush(), batchMs);
    if (changes.length === 0 || closed) return;
    ready.push(changes);
    readyCount += changes.length;
    if (readyCount > maxPending) {
      failure = errors.resourceExhausted(`watch ${path}: the client fell more than ${maxPending} events behind`);
      close();
    }
    notify();
  }

  function change(p: string, kind: FileEventKind): FileChange {
    return { name: relative(path, p), path: p, kind };
  }

  function close() {
    if (closed) return;
    closed = true;
    clearTimeout(batchTimer);
    watcher.close();
    notify();
  }

  return {
    async next(idleMs) {
      for (;;) {
        const batch = ready.shift();
        if (batch) {
          readyCount -= batch.length;
          return batch;
        }
        if (failure) throw fsError(failure, "watch", path);
        if (closed) return undefined;
        const woke = await wakeSignal.wait(idleMs);
        if (!woke) return "timeout";
      }
    },
    close,
  };
}

async function statOrUndefined(p: string): Promise<Known | undefined> {
  try {
    const s = await lstat(p, { bigint: true });
    return { ino: s.ino, mode: s.mode, mtimeNs: s.mtimeNs, size: s.size };
  } catch {
    return undefined;
  }
}

async function snapshotTree(dir: string, recursive: boolean, known: Map<string, Known>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const p = join(dir, name);
    const s = await statOrUndefined(p);
    if (!s) continue;
    known.set(p, s);
    if (recursive && (s.mode & 0o170000n) === 0o040000n) await snapshotTree(p, recursive, known);
  }
}
