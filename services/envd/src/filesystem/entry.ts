import { lstat, readlink } from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename } from "node:path";
import type { UserSnapshot } from "../users/user-db.js";

export type EntryType = "file" | "directory" | "symlink" | "other";

/** What envd reports about one file system entry (the entry itself, not a symlink's target). */
export interface Entry {
  name: string;
  path: string;
  type: EntryType;
  size: number;
  /** Permission bits including setuid/setgid/sticky, e.g. 0o644. */
  mode: number;
  owner: string;
  group: string;
  modifiedAt: Date;
  symlinkTarget: string;
}

export function entryType(st: Stats): EntryType {
  if (st.isSymbolicLink()) return "symlink";
  if (st.isDirectory()) return "directory";
  if (st.isFile()) return "file";
  return "other";
}

export async function entryFromStats(path: string, st: Stats, names: UserSnapshot): Promise<Entry> {
  const type = entryType(st);
  return {
    name: path === "/" ? "/" : basename(path),
    path,
    type,
    size: st.size,
    mode: st.mode & 0o7777,
    owner: names.userName(st.uid),
    group: names.groupName(st.gid),
    modifiedAt: st.mtime,
    symlinkTarget: type === "symlink" ? await readlink(path).catch(() => "") : "",
  };
}

export async function entryAt(path: string, names: UserSnapshot): Promise<Entry> {
  return entryFromStats(path, await lstat(path), names);
}
