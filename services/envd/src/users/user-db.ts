import { statSync, readFileSync } from "node:fs";

/** One account from /etc/passwd, with its groups from /etc/group. */
export interface User {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** Primary gid first, then supplementary gids (no duplicates). */
  gids: number[];
}

export interface UserSnapshot {
  byName(name: string): User | undefined;
  userName(uid: number): string;
  groupName(gid: number): string;
}

export interface UserDb {
  /** A consistent view of the account files, re-read only when they change. */
  snapshot(): UserSnapshot;
}

interface Parsed {
  users: Map<string, Omit<User, "gids">>;
  uidNames: Map<number, string>;
  gidNames: Map<number, string>;
  /** user name → supplementary gids from the member lists of /etc/group */
  memberOf: Map<string, number[]>;
}

/**
 * Reads /etc/passwd and /etc/group directly instead of calling getpwnam(3):
 * Node has no binding for it, and inside the guest these files are the only
 * source of accounts (no NSS modules).
 */
export function createUserDb(passwdPath = "/etc/passwd", groupPath = "/etc/group"): UserDb {
  let cached: { key: string; parsed: Parsed } | undefined;

  function load(): Parsed {
    const key = `${mtimeOf(passwdPath)}:${mtimeOf(groupPath)}`;
    if (cached?.key === key) return cached.parsed;
    const parsed = parse(readOrEmpty(passwdPath), readOrEmpty(groupPath));
    cached = { key, parsed };
    return parsed;
  }

  return {
    snapshot() {
      const p = load();
      return {
        byName(name) {
          const u = p.users.get(name);
          if (!u) return undefined;
          const gids = [u.gid, ...(p.memberOf.get(name) ?? []).filter((g) => g !== u.gid)];
          return { ...u, gids: [...new Set(gids)] };
        },
        userName: (uid) => p.uidNames.get(uid) ?? String(uid),
        groupName: (gid) => p.gidNames.get(gid) ?? String(gid),
      };
    },
  };
}

function parse(passwd: string, group: string): Parsed {
  const users = new Map<string, Omit<User, "gids">>();
  const uidNames = new Map<number, string>();
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length < 7 || line.startsWith("#")) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    if (!users.has(f[0])) users.set(f[0], { name: f[0], uid, gid, home: f[5] || "/", shell: f[6] || "/bin/sh" });
    if (!uidNames.has(uid)) uidNames.set(uid, f[0]);
  }
  const gidNames = new Map<number, string>();
  const memberOf = new Map<string, number[]>();
  for (const line of group.split("\n")) {
    const f = line.split(":");
    if (f.length < 4 || line.startsWith("#")) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    if (!gidNames.has(gid)) gidNames.set(gid, f[0]);
    for (const member of f[3].split(",").map((m) => m.trim()).filter(Boolean)) {
      const list = memberOf.get(member) ?? [];
      list.push(gid);
      memberOf.set(member, list);
    }
  }
  return { users, uidNames, gidNames, memberOf };
}

function mtimeOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}/${st.size}/${st.ino}`;
  } catch {
    return "missing";
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
