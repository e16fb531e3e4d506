import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { checkLinkTarget, normalizeEntryPath, shown } from "./archive-paths.js";
import { ArchiveError, type ArchiveEntry, type BuildArchive } from "./archive-types.js";
import { ByteReader } from "./byte-reader.js";
import { isTarHeader, scanTar, type RawEntry } from "./tar-reader.js";
import { scanZip, zipContent, type ZipEntry } from "./zip-reader.js";

export type { ArchiveEntry, BuildArchive, CopyItem, CopyPlan } from "./archive-types.js";
export { ArchiveError } from "./archive-types.js";
export { planCopy } from "./plan-copy.js";

type Kind = "tar" | "tar.gz" | "zip";

/** Bounds on what one archive may hold: entries are kept in memory (not contents). */
const maxEntries = 200_000;
// A tar.gz is unpacked on the host's disk (build dir); this bounds what a small upload can make it write.
const maxUnpackedBytes = 8 * 1024 ** 3;

async function detect(path: string): Promise<{ kind: Kind; bytes: number }> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      return { kind: "tar.gz", bytes: size };
    }
    if (bytesRead >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) {
      return { kind: "zip", bytes: size };
    }
    if (bytesRead === 512 && (isTarHeader(head) || head.every((b) => b === 0))) {
      return { kind: "tar", bytes: size };
    }
    throw new ArchiveError("the archive is not a tar, tar.gz or zip file");
  } finally {
    await handle.close();
  }
}

/** Streams a file's bytes through a hash; the returned digest is ready once the stream ends. */
async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

/** A transform that passes bytes through while counting them, failing past a limit (a gzip bomb). */
function limit(maxBytes: number, message: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > maxBytes ? new ArchiveError(message) : null, chunk);
    },
  });
}

/** A transform feeding every byte to a hash on the way. */
function hashing(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

/**
 * Unpacks a tar.gz into a plain tar beside it, hashing the compressed bytes
 * on the way. gzip cannot seek, and the builder reads files one by one: from
 * the plain tar each read is a ranged read instead of inflating from the start.
 */
async function gunzipBeside(path: string): Promise<{ tarPath: string; sha256: string }> {
  const tarPath = `${path}.unpacked.tar`;
  const hash = createHash("sha256");
  try {
    await pipeline(
      createReadStream(path),
      hashing(hash),
      createGunzip(),
      limit(maxUnpackedBytes, `the tar.gz archive unpacks to more than ${maxUnpackedBytes / 1024 ** 3} GiB`),
      createWriteStream(tarPath),
    );
  } catch (err) {
    await rm(tarPath, { force: true });
    if (err instanceof ArchiveError) {
      throw err;
    }
    throw new ArchiveError(`the tar.gz archive is corrupt: ${(err as Error).message}`);
  }
  return { tarPath, sha256: hash.digest("hex") };
}

async function scanTarFile(path: string): Promise<{ entries: RawEntry[]; sha256: string }> {
  const hash = createHash("sha256");
  const file = createReadStream(path);
  const source = file.pipe(hashing(hash));
  file.on("error", (err) => source.destroy(err));
  try {
    const entries = await scanTar(new ByteReader(source[Symbol.asyncIterator]()), maxEntries);
    return { entries, sha256: hash.digest("hex") };
  } catch (err) {
    if (err instanceof ArchiveError) {
      throw err;
    }
    throw new ArchiveError(`the tar archive is corrupt: ${(err as Error).message}`);
  } finally {
    file.destroy();
    source.destroy();
  }
}

interface Located {
  entry: ArchiveEntry;
  raw: RawEntry;
}

/**
 * Turns raw members into the validated entry list: paths normalized, escapes
 * refused, hard links resolved to the file they name (which must come
 * earlier), later members replacing earlier ones (as tar extracts), and
 * missing parent directories added so parents always come before children.
 */
function validate(raws: RawEntry[]): Map<string, Located> {
  const byPath = new Map<string, Located>();
  for (const raw of raws) {
    const path = normalizeEntryPath(raw.name);
    if (path === "") {
      continue; // the archive root ("./"): the COPY destination itself
    }
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = byPath.get(parts.slice(0, i).join("/"));
      if (parent && parent.entry.type !== "dir") {
        throw new ArchiveError(`archive entry ${shown(raw.name)} lies under ${shown(parent.entry.path)}, which is a ${parent.entry.type}`);
      }
    }
    let located: Located;
    if (raw.type === "hardlink") {
      const target = normalizeEntryPath(raw.linkTarget ?? "");
      const original = byPath.get(target);
      if (!original || original.entry.type !== "file") {
        throw new ArchiveError(`archive entry ${shown(raw.name)} is a hard link to ${shown(raw.linkTarget ?? "")}, which is not a file earlier in the archive`);
      }
      located = { entry: { ...original.entry, path, mode: raw.mode || original.entry.mode }, raw: original.raw };
    } else {
      if (raw.type === "symlink") {
        checkLinkTarget(path, raw.linkTarget ?? "");
      }
      const entry: ArchiveEntry = { path, type: raw.type, mode: raw.mode, size: raw.type === "file" ? raw.size : 0 };
      if (raw.type === "symlink") {
        entry.linkTarget = raw.linkTarget;
      }
      if (raw.type === "file") {
        entry.sha256 = raw.sha256;
      }
      located = { entry, raw };
    }
    const previous = byPath.get(path);
    if (previous && previous.entry.type === "dir" && located.entry.type !== "dir") {
      const hasChildren = [...byPath.keys()].some((p) => p.startsWith(`${path}/`));
      if (hasChildren) {
        throw new ArchiveError(`archive entry ${shown(raw.name)} replaces a directory that has entries`);
      }
    }
    // Re-inserting moves a replaced path to the end; its parents are still before it.
    byPath.delete(path);
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (!byPath.has(parent)) {
        byPath.set(parent, { entry: { path: parent, type: "dir", mode: 0o755, size: 0 }, raw: { name: parent, type: "dir", mode: 0o755, size: 0, offset: 0 } });
      }
    }
    byPath.set(path, located);
  }
  return byPath;
}

/**
 * Opens tar / tar.gz / zip (by magic bytes), hashing the archive and every
 * file on one streaming pass; refuses "..", absolute paths, symlinks leading
 * out of the archive, hard links to nothing earlier, devices and fifos, with
 * an ArchiveError naming the entry. Contents are read again from disk on
 * read(), so memory holds the entry list only. A tar.gz is unpacked to
 * `<path>.unpacked.tar` (removed by close(), or at once when opening fails).
 */
export async function openBuildArchive(path: string): Promise<BuildArchive> {
  const { kind, bytes } = await detect(path);
  let sha256: string;
  let raws: RawEntry[];
  // What read() reads: the archive itself, or for tar.gz the plain tar unpacked beside it.
  let dataPath = path;
  const dropUnpacked = () => (dataPath === path ? Promise.resolve() : rm(dataPath, { force: true }));
  const handle = kind === "zip" ? await open(path, "r") : undefined;
  let byPath: Map<string, Located>;
  try {
    if (handle) {
      raws = await scanZip(path, handle, bytes, maxEntries);
      sha256 = await hashFile(path);
    } else if (kind === "tar") {
      ({ entries: raws, sha256 } = await scanTarFile(path));
    } else {
      const unpacked = await gunzipBeside(path);
      dataPath = unpacked.tarPath;
      sha256 = unpacked.sha256;
      raws = (await scanTarFile(dataPath)).entries;
    }
    byPath = validate(raws);
  } catch (err) {
    await dropUnpacked();
    throw err;
  } finally {
    await handle?.close();
  }
  const entries = [...byPath.values()].map((l) => l.entry);
  const open_ = new Set<Readable>();
  let closed = false;
  return {
    sha256,
    bytes,
    entries: () => entries,
    read(entry) {
      const located = byPath.get(entry.path);
      if (closed) {
        throw new ArchiveError("the archive is closed");
      }
      if (!located || located.entry.type !== "file") {
        throw new ArchiveError(`archive entry ${shown(entry.path)} is not a file in this archive`);
      }
      const { raw } = located;
      let stream: Readable;
      if (raw.size === 0) {
        stream = Readable.from([]);
      } else if (kind === "zip") {
        const zip = raw as ZipEntry;
        stream = zipContent(path, zip.dataStart ?? 0, zip);
      } else {
        stream = createReadStream(dataPath, { start: raw.offset, end: raw.offset + raw.size - 1 });
      }
      open_.add(stream);
      stream.once("close", () => open_.delete(stream));
      return stream;
    },
    close() {
      closed = true;
      for (const stream of open_) {
        stream.destroy();
      }
      open_.clear();
      return dropUnpacked();
    },
  };
}
