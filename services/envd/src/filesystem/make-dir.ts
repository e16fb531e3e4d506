import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { errors } from "@wrenn/shared";
import { entryAt, type Entry } from "./entry.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";
import { giveTo } from "./ownership.js";

/**
 * `mkdir -p`, creating each missing level itself so every new directory can
 * be checked against and given to the acting user.
 */
export async function makeDir(path: string, existOk: boolean, ctx: FsContext): Promise<Entry> {
  try {
    await makeDirs(path, existOk, ctx);
    return await entryAt(path, ctx.names);
  } catch (err) {
    throw fsError(err, "mkdir", path);
  }
}

/** Creates `path` and missing parents; returns true when `path` itself was created. */
export async function makeDirs(path: string, existOk: boolean, ctx: FsContext): Promise<boolean> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (st) {
    if (!st.isDirectory()) throw errors.alreadyExists(`mkdir ${path}: exists and is not a directory`);
    if (!existOk) throw errors.alreadyExists(`mkdir ${path}: directory already exists`);
    return false;
  }
  const parent = dirname(path);
  if (parent !== path) {
    const parentSt = await stat(parent).catch(() => undefined);
    if (!parentSt) await makeDirs(parent, true, ctx);
    else if (!parentSt.isDirectory()) {
      throw errors.failedPrecondition(`mkdir ${path}: ${parent} exists and is not a directory`);
    }
  }
  await ctx.access.requireParentWrite(path, ctx.user, "mkdir");
  try {
    await mkdir(path, { mode: 0o755 });
  } catch (err) {
    // Someone else created it meanwhile; that is fine for -p semantics.
    if ((err as NodeJS.ErrnoException).code === "EEXIST" && existOk) return false;
    throw err;
  }
  await giveTo(path, ctx.user);
  return true;
}
