import { lstat, realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { dirname, sep } from "node:path";
import { errors } from "@wrenn/shared";
import type { User } from "../users/user-db.js";

export const R = 4;
export const W = 2;
export const X = 1;

/**
 * Permission checks for a user other than the one envd runs as. envd runs as
 * root in the guest and performs the operation itself; before that it checks
 * the acting user's uid and gids against the mode bits the kernel would use
 * (owner, then group, then other; root passes). ACLs and capabilities other
 * than root's are not modelled.
 */
export interface AccessChecker {
  /** False when the OS's own checks already apply (the user is envd's user) or the user is root. */
  needed(user: User): boolean;
  /** Search permission on every directory leading to `path` (not `path` itself). */
  traverse(path: string, user: User, op: string): Promise<void>;
  /** `bits` (R|W|X) on `path` itself, plus traversal. Missing paths are left to the operation. */
  require(path: string, user: User, bits: number, op: string): Promise<void>;
  /** Creating or removing an entry in `path`'s directory (w+x there, and the sticky-bit rule). */
  requireParentWrite(path: string, user: User, op: string): Promise<void>;
}

export function allowed(st: Stats, user: User, bits: number): boolean {
  if (user.uid === 0) return true;
  const mode = st.mode;
  const granted = st.uid === user.uid ? (mode >> 6) & 7 : user.gids.includes(st.gid) ? (mode >> 3) & 7 : mode & 7;
  return (granted & bits) === bits;
}

export function createAccessChecker(daemonUid = process.getuid?.() ?? 0): AccessChecker {
  const needed = (user: User) => user.uid !== 0 && user.uid !== daemonUid;

  async function traverse(path: string, user: User, op: string) {
    if (!needed(user)) return;
    let dir: string;
    try {
      dir = await realpath(dirname(path));
    } catch {
      return; // a missing parent is reported by the operation itself
    }
    const parts = dir.split(sep).filter(Boolean);
    let current = "/";
    for (let i = 0; i <= parts.length; i += 1) {
      const st = await stat(current);
      if (!allowed(st, user, X)) throw errors.permissionDenied(`${op} ${path}: permission denied`);
      if (i < parts.length) current = current === "/" ? `/${parts[i]}` : `${current}/${parts[i]}`;
    }
  }

  return {
    needed,
    traverse,
    async require(path, user, bits, op) {
      if (!needed(user)) return;
      await traverse(path, user, op);
      let st: Stats;
      try {
        st = await stat(path);
      } catch {
        return;
      }
      if (!allowed(st, user, bits)) throw errors.permissionDenied(`${op} ${path}: permission denied`);
    },
    async requireParentWrite(path, user, op) {
      if (!needed(user)) return;
      await traverse(path, user, op);
      const parent = dirname(path);
      let dirSt: Stats;
      try {
        dirSt = await stat(parent);
      } catch {
        return;
      }
      if (!allowed(dirSt, user, W | X)) throw errors.permissionDenied(`${op} ${path}: permission denied`);
      // Sticky directories (/tmp): only the entry's or the directory's owner may remove or rename it.
      if (dirSt.mode & 0o1000) {
        const entry = await lstat(path).catch(() => undefined);
        if (entry && entry.uid !== user.uid && dirSt.uid !== user.uid) {
          throw errors.permissionDenied(`${op} ${path}: permission denied (sticky directory)`);
        }
      }
    },
  };
}
