import { lstatSync, readdirSync, watch, type BigIntStats, type FSWatcher } from "node:fs";
import { lstat } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { errors } from "@wrenn/shared";
import { R, X } from "./access.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";
import { createWakeSignal } from "../util/wake-signal.js";
import { interpretBatch, type FileEventKind, type Known, type RawEvent } from "./watch-events.js";

export type { FileEventKind } from "./watch-events.js";

export interface FileChange {
  /** Relative to the watched directory. */
  name: string;
  path: string;
  kind: FileEventKind;
}

/** Events within this window are judged together, so a rename's two halves meet. */
const batchMs = 20;
/** A consumer this far behind ends the watch with RESOURCE_EXHAUSTED instead of losing events. */
const maxPending = 100_000;
/**
 * A recursive watch of a tree bigger than this ends with RESOURCE_EXHAUSTED
 * (directories are scanned synchronously as they appear; watching "/" would
 * otherwise stall envd and exhaust the guest's inotify watches).
 */
const maxWatchedDirs = 10_000;
const maxKnownEntries = 500_000;

export interface DirWatch {
  /** The next batch of changes, "timeout" after `idleMs` without any, or undefined once the watch ended. */
  next(idleMs: number): Promise<FileChange[] | "timeout" | undefined>;
  close(): void;
}

/**
 * Watches a directory with inotify through Node's fs.watch, one
 * non-recursive watcher per directory: Node 20's own recursive mode on Linux
 * polls files and misses changes faster than its interval. When recursive,
 * every directory below is watched, and a directory that appears gets a
 * watcher at once and is scanned, so what was created in it before the
 * watcher existed is reported too.
 *
 * Raw events are collected for a short batch, in order, and interpreted
 * together (watch-events.ts): every create, write, chmod, rename and remove
 * is reported, including those of a file that came and went within the
 * batch; a rename is the old path's rename followed by the new path's
 * create. A move out of the watched tree is reported as a remove.
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
  let pending: RawEvent[] = [];
  /** The last raw event type per path in `pending`, so runs of "change" are kept as one. */
  let lastType = new Map<string, RawEvent["type"]>();
  const ready: FileChange[][] = [];
  let readyCount = 0;
  let failure: Error | undefined;
  let closed = false;
  const wakeSignal = createWakeSignal();
  let batchTimer: NodeJS.Timeout | undefined;
  const notify = wakeSignal.notify;
  /** Directory → its watcher and the inode it had when the watcher was made. */
  const watchers = new Map<string, { watcher: FSWatcher; ino: bigint }>();

  function fail(err: Error) {
    failure ??= err;
    close();
  }

  function onRaw(dir: string, dirIno: bigint, type: string, filename: string | Buffer | null) {
    if (closed || !filename) return;
    const name = filename.toString();
    // inotify tells a watcher when its own directory is deleted or moved, naming the directory itself.
    if (name === basename(dir) && statNowOrUndefined(dir)?.ino !== dirIno) {
      if (dir === path) fail(errors.notFound(`watch ${path}: the directory was removed or moved away`));
      else unwatchBelow(dir);
      return;
    }
    const full = join(dir, name);
    const kind = type === "rename" ? "rename" : "change";
    if (kind === "change" && lastType.get(full) === "change") return;
    lastType.set(full, kind);
    pending.push({ path: full, type: kind });
    if (pending.length + readyCount > maxPending) {
      fail(errors.resourceExhausted(`watch ${path}: the client fell more than ${maxPending} events behind`));
      return;
    }
    batchTimer ??= setTimeout(flush, batchMs);
  }

  /** Watches `dir`; false when it is already gone. The root's failure is the caller's error. */
  function watchOne(dir: string): boolean {
    if (closed || watchers.has(dir)) return true;
    if (watchers.size >= maxWatchedDirs || known.size >= maxKnownEntries) {
      tooBig();
      return false;
    }
    const now = statNowOrUndefined(dir);
    if (!now) return false;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (type, filename) => onRaw(dir, now.ino, type, filename));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (dir === path) throw fsError(err, "watch", path);
      if (code === "ENOSPC") fail(errors.resourceExhausted(`watch ${path}: more directories below it than inotify may watch (fs.inotify.max_user_watches)`));
      return false;
    }
    watcher.on("error", (err) => (dir === path ? fail(err) : unwatchBelow(dir)));
    watchers.set(dir, { watcher, ino: now.ino });
    return true;
  }

  function tooBig() {
    fail(errors.resourceExhausted(`watch ${path}: more than ${maxWatchedDirs} directories or ${maxKnownEntries} entries below it; watch a smaller tree`));
  }

  function unwatchBelow(dir: string) {
    for (const [d, w] of watchers) {
      if (d === dir || isBelow(d, dir)) {
        w.watcher.close();
        watchers.delete(d);
      }
    }
  }

  /**
   * Watches a directory that appeared and everything below it; what is
   * already inside and not yet known is returned as creates.
   */
  function adopt(dir: string): string[] {
    if (!watchOne(dir)) return [];
    const created: string[] = [];
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return created;
    }
    for (const name of names) {
      if (closed) break;
      if (known.size >= maxKnownEntries) {
        tooBig();
        break;
      }
      const p = join(dir, name);
      const s = statNowOrUndefined(p);
      if (!s) continue;
      if (!known.has(p)) created.push(p);
      known.set(p, s);
      if (isDirectory(s)) created.push(...adopt(p));
    }
    return created;
  }

  function flush() {
    const batch = pending;
    pending = [];
    lastType = new Map();
    // Synchronous on purpose: no new event may land between the batch and the
    // state it is judged against (each lstat is microseconds).
    const after = new Map<string, Known | undefined>();
    for (const { path: p } of batch) if (!after.has(p)) after.set(p, statNowOrUndefined(p));
    const before = new Map<string, Known>();
    for (const p of after.keys()) {
      const k = known.get(p);
      if (k) before.set(p, k);
      const now = after.get(p);
      if (now) known.set(p, now);
      else known.delete(p);
    }
    const changes: FileChange[] = [];
    for (const c of interpretBatch(batch, before, after)) {
      changes.push(change(c.path, c.kind));
      const now = after.get(c.path);
      if (!recursive) continue;
      if (c.kind === "create" && now && isDirectory(now)) {
        for (const inner of adopt(c.path)) changes.push(change(inner, "create"));
      }
      if ((c.kind === "remove" || c.kind === "rename") && !now) {
        unwatchBelow(c.path);
        for (const k of known.keys()) if (isBelow(k, c.path)) known.delete(k);
      }
    }
    batchTimer = undefined;
    if (pending.length > 0) batchTimer = setTimeout(flush, batchMs);
    if (changes.length === 0 || closed) return;
    ready.push(changes);
    readyCount += changes.length;
    if (readyCount > maxPending) {
      fail(errors.resourceExhausted(`watch ${path}: the client fell more than ${maxPending} events behind`));
      return;
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
    unwatchBelow(path);
    notify();
  }

  try {
    watchOne(path);
    if (recursive) {
      adopt(path);
    } else {
      for (const name of readdirSync(path)) {
        if (known.size >= maxKnownEntries) {
          tooBig();
          break;
        }
        const s = statNowOrUndefined(join(path, name));
        if (s) known.set(join(path, name), s);
      }
    }
  } catch (err) {
    // The directory can go between the checks above and here (a remove racing the watch): a status, not INTERNAL.
    close();
    throw fsError(err, "watch", path);
  }
  // A tree too big to watch is refused now rather than after `started`.
  if (failure) throw fsError(failure, "watch", path);

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

function isBelow(p: string, dir: string): boolean {
  return p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

function isDirectory(s: Known): boolean {
  return (s.mode & 0o170000n) === 0o040000n;
}

function statNowOrUndefined(p: string): Known | undefined {
  try {
    const s = lstatSync(p, { bigint: true });
    return { ino: s.ino, mode: s.mode, mtimeNs: s.mtimeNs, size: s.size };
  } catch {
    return undefined;
  }
}
