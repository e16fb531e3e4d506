import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { errors } from "@wrenn/shared";
import { allowed, R, W, X } from "./access.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";

/** `rm -r`: a missing path is NOT_FOUND, never silently fine. */
export async function removePath(path: string, ctx: FsContext): Promise<void> {
  if (path === "/") throw errors.invalidArgument("refusing to remove /");
  try {
    const st = await lstat(path);
    await ctx.access.requireParentWrite(path, ctx.user, "remove");
    if (st.isDirectory() && ctx.access.needed(ctx.user)) await checkTree(path, ctx);
    await rm(path, { recursive: true, force: false });
  } catch (err) {
    throw fsError(err, "remove", path);
  }
}

/** The user must be able to empty every directory below, as `rm -r` running as them would. */
async function checkTree(dir: string, ctx: FsContext): Promise<void> {
  const st = await lstat(dir);
  if (!allowed(st, ctx.user, R | W | X)) throw errors.permissionDenied(`remove ${dir}: permission denied`);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await checkTree(join(dir, entry.name), ctx);
  }
}
