import { posix } from "node:path";
import { ArchiveError } from "./archive-types.js";

/** How an entry name is quoted in errors: bounded, control characters escaped. */
export function shown(name: string): string {
  const cut = name.length > 120 ? `${name.slice(0, 120)}…` : name;
  return JSON.stringify(cut);
}

/**
 * An entry name as a clean relative path ("./a//b/" → "a/b"); "" for the
 * archive root ("./"). Absolute names and ".." components are refused: written
 * into the guest they would land outside the COPY destination.
 */
export function normalizeEntryPath(name: string): string {
  if (name.includes("\0")) {
    throw new ArchiveError(`archive entry ${shown(name)} has a NUL in its name`);
  }
  if (name.startsWith("/")) {
    throw new ArchiveError(`archive entry ${shown(name)} has an absolute path`);
  }
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new ArchiveError(`archive entry ${shown(name)} leads outside the archive ("..")`);
  }
  return parts.join("/");
}

/** Refuses a symlink whose target is absolute or climbs above the archive root. */
export function checkLinkTarget(path: string, target: string): void {
  if (target === "" || target.includes("\0")) {
    throw new ArchiveError(`archive entry ${shown(path)} is a symlink with an invalid target`);
  }
  if (target.startsWith("/")) {
    throw new ArchiveError(`archive entry ${shown(path)} is a symlink to an absolute path (${shown(target)})`);
  }
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === ".." || resolved.startsWith("../")) {
    throw new ArchiveError(`archive entry ${shown(path)} is a symlink leading outside the archive (${shown(target)})`);
  }
}
