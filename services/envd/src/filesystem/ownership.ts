import { chown } from "node:fs/promises";
import type { User } from "../users/user-db.js";

/**
 * Gives a newly created file or directory to the acting user. Only root can
 * do that; a non-root envd acts as itself anyway, so there is nothing to do.
 */
export async function giveTo(path: string, user: User): Promise<void> {
  if ((process.getuid?.() ?? 0) !== 0) return;
  await chown(path, user.uid, user.gid);
}
