import { entryAt, type Entry } from "./entry.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";

export async function statPath(path: string, ctx: FsContext): Promise<Entry> {
  try {
    await ctx.access.traverse(path, ctx.user, "stat");
    return await entryAt(path, ctx.names);
  } catch (err) {
    throw fsError(err, "stat", path);
  }
}
