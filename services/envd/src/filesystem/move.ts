import { cp, lstat, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { errors } from "@wrenn/shared";
import { entryAt, type Entry } from "./entry.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";

/**
 * rename(2) semantics: an existing file at the destination is replaced, a
 * non-empty directory is not. Across file systems it copies, then removes.
 */
export async function movePath(source: string, destination: string, ctx: FsContext): Promise<Entry> {
  try {
    await lstat(source);
  } catch (err) {
    throw fsError(err, "move", source);
  }
  try {
    const parent = await stat(dirname(destination));
    if (!parent.isDirectory()) throw errors.failedPrecondition(`move to ${destination}: parent is not a directory`);
  } catch (err) {
    throw fsError(err, "move to", destination);
  }
  try {
    await ctx.access.requireParentWrite(source, ctx.user, "move");
    await ctx.access.requireParentWrite(destination, ctx.user, "move to");
    try {
      await rename(source, destination);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
      await cp(source, destination, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: true });
      await rm(source, { recursive: true });
    }
  } catch (err) {
    throw fsError(err, "move", `${source} → ${destination}`);
  }
  return entryAt(destination, ctx.names);
}
