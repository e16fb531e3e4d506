import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { errors } from "@wrenn/shared";
import { allowed, R, X } from "./access.js";
import { entryFromStats, type Entry } from "./entry.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";

/** Guards the daemon against `depth: 1000` on `/`. */
const maxEntries = 100_000;

/**
 * Lists a directory: depth 0 or 1 gives its direct children, n descends n
 * levels. Symlinks are listed but not followed; subdirectories the user may
 * not read are listed without their contents. Sorted by path.
 */
export async function listDir(path: string, depth: number, ctx: FsContext): Promise<Entry[]> {
  const levels = Math.max(1, depth);
  try {
    await ctx.access.require(path, ctx.user, R | X, "list");
    const st = await stat(path);
    if (!st.isDirectory()) throw errors.failedPrecondition(`list ${path}: not a directory`);
  } catch (err) {
    throw fsError(err, "list", path);
  }

  const out: Entry[] = [];
  async function walk(dir: string, level: number): Promise<void> {
    if (ctx.signal?.aborted) throw errors.aborted("list cancelled");
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (dir === path) throw fsError(err, "list", path);
      return; // vanished or unreadable below the top: skip its contents
    }
    for (const name of names) {
      const child = join(dir, name);
      const st = await lstat(child).catch(() => undefined);
      if (!st) continue;
      out.push(await entryFromStats(child, st, ctx.names));
      if (out.length > maxEntries) {
        throw errors.resourceExhausted(`list ${path}: more than ${maxEntries} entries; use a smaller depth`);
      }
      if (st.isDirectory() && level < levels) {
        if (ctx.access.needed(ctx.user) && !allowed(st, ctx.user, R | X)) continue;
        await walk(child, level + 1);
      }
    }
  }
  await walk(path, 1);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
