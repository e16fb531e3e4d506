import { createHash } from "node:crypto";
import { posix } from "node:path";
import { shown } from "./archive-paths.js";
import { ArchiveError, type ArchiveEntry, type BuildArchive, type CopyItem, type CopyPlan } from "./archive-types.js";

const root: ArchiveEntry = { path: ".", type: "dir", mode: 0o755, size: 0 };

/** A COPY source as a path inside the archive ("" = the root); escapes refused. */
function normalizeSource(source: string): string {
  if (source.startsWith("/")) {
    throw new ArchiveError(`COPY source ${shown(source)} is absolute; sources are paths inside the uploaded archive`);
  }
  const parts = source.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new ArchiveError(`COPY source ${shown(source)} leads outside the archive ("..")`);
  }
  return parts.join("/");
}

/** One path segment's glob (* and ?, never crossing "/") as a regular expression. */
function segmentPattern(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}

function matches(entries: ArchiveEntry[], source: string): ArchiveEntry[] {
  if (source === "") {
    return [root];
  }
  if (!/[*?]/.test(source)) {
    const found = entries.find((e) => e.path === source);
    return found ? [found] : [];
  }
  const patterns = source.split("/").map(segmentPattern);
  return entries.filter((e) => {
    const parts = e.path.split("/");
    return parts.length === patterns.length && parts.every((p, i) => patterns[i].test(p));
  });
}

function under(entries: ArchiveEntry[], dir: string): ArchiveEntry[] {
  return dir === "." ? entries : entries.filter((e) => e.path.startsWith(`${dir}/`));
}

function compareTargets(a: CopyItem, b: CopyItem): number {
  const x = a.target.split("/");
  const y = b.target.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) {
      return x[i] < y[i] ? -1 : 1;
    }
  }
  return x.length - y.length;
}

/**
 * Docker COPY semantics: a directory source copies its contents into the
 * destination; a file (or symlink) lands at the destination, or inside it
 * when the destination is a directory ("/"-terminated, or several sources).
 * A relative destination resolves against workdir. Sources may use * and ?
 * globs. A source matching nothing, or escaping the archive, throws
 * ArchiveError. Items come sorted (parents first) so the plan's hash does not
 * depend on the archive's member order.
 */
export function planCopy(archive: BuildArchive | undefined, sources: string[], destination: string, workdir: string): CopyPlan {
  if (!archive) {
    throw new ArchiveError("COPY needs an archive of files, and the build has none (upload one with the build)");
  }
  const entries = archive.entries();
  const matched: ArchiveEntry[] = [];
  for (const source of sources) {
    const found = matches(entries, normalizeSource(source));
    if (found.length === 0) {
      throw new ArchiveError(`COPY source ${shown(source)} matches nothing in the archive`);
    }
    matched.push(...found);
  }
  const target = posix.resolve(workdir, destination);
  const intoDir = destination.endsWith("/") || destination === "." || matched.length > 1;
  const byTarget = new Map<string, CopyItem>();
  const add = (entry: ArchiveEntry, path: string) => byTarget.set(path, { entry, target: path });
  for (const entry of matched) {
    if (entry.type === "dir") {
      add(entry, target);
      const prefix = entry.path === "." ? 0 : entry.path.length + 1;
      for (const child of under(entries, entry.path)) {
        add(child, posix.join(target, child.path.slice(prefix)));
      }
    } else {
      add(entry, intoDir ? posix.join(target, posix.basename(entry.path)) : target);
    }
  }
  const items = [...byTarget.values()].sort(compareTargets);
  const hash = createHash("sha256");
  for (const { entry, target: path } of items) {
    hash.update(JSON.stringify([path, entry.type, entry.mode, entry.linkTarget ?? "", entry.sha256 ?? ""]));
    hash.update("\n");
  }
  return { items, sha256: hash.digest("hex") };
}
