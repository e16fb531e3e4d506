import { open, readFile, rename, rm } from "node:fs/promises";

/**
 * Small JSON records a restarted agent reads back (sandbox state, tokens).
 * Written to a temporary file, flushed, then renamed over the old one, so a
 * crash at any moment leaves either the old record or the new one, never a
 * torn file. Mode 0600 by default: records may hold envd tokens.
 */
export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  const temp = `${path}.tmp`;
  const file = await open(temp, "w", mode);
  try {
    await file.writeFile(JSON.stringify(value, null, 2) + "\n");
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The record, or undefined when it is missing or unreadable (a half-made sandbox). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}
