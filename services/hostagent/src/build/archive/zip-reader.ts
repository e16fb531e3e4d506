import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createInflateRaw } from "node:zlib";
import { ArchiveError } from "./archive-types.js";
import type { RawEntry } from "./tar-reader.js";

/** A zip member: where its compressed data is, so it can be streamed again later. */
export interface ZipEntry extends RawEntry {
  method: number;
  compressedSize: number;
  /** Bytes after decompression (a symlink's target length too). */
  storedSize: number;
  /** Where the (compressed) data starts, found from the local header during the scan. */
  dataStart?: number;
}

const eocdSignature = 0x06054b50;
const centralSignature = 0x02014b50;
const localSignature = 0x04034b50;
const maxLinkBytes = 4096;

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length) {
    throw new ArchiveError("the zip archive is truncated");
  }
  return buffer;
}

/** Finds the end-of-central-directory record: within the last 64 KiB + 22 bytes (the comment's bound). */
async function findEnd(handle: FileHandle, fileSize: number): Promise<Buffer> {
  const span = Math.min(fileSize, 0xffff + 22);
  const tail = await readAt(handle, fileSize - span, span);
  for (let i = span - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === eocdSignature) {
      return tail.subarray(i, i + 22);
    }
  }
  throw new ArchiveError("the zip archive has no central directory");
}

/** Content of a zip member, decompressed: stored (0) and deflate (8) are the methods zip tools write. */
export function zipContent(path: string, dataStart: number, entry: ZipEntry): Readable {
  if (entry.compressedSize === 0) {
    return Readable.from([]); // an empty stored file: createReadStream cannot read 0 bytes
  }
  const raw = createReadStream(path, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  return entry.method === 8 ? raw.pipe(createInflateRaw()) : raw;
}

/** Where a member's data starts: after its local header, whose name and extra lengths may differ from the central copy. */
async function zipDataStart(handle: FileHandle, entry: ZipEntry): Promise<number> {
  const local = await readAt(handle, entry.offset, 30);
  if (local.readUInt32LE(0) !== localSignature) {
    throw new ArchiveError(`zip entry ${JSON.stringify(entry.name)} has a corrupt local header`);
  }
  return entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
}

/**
 * Reads a zip's central directory, then streams every file once to hash it
 * (and every symlink to read its target). Encrypted members, ZIP64 and
 * methods other than stored/deflate are refused.
 */
export async function scanZip(path: string, handle: FileHandle, fileSize: number, maxEntries: number): Promise<ZipEntry[]> {
  const end = await findEnd(handle, fileSize);
  const count = end.readUInt16LE(10);
  const dirSize = end.readUInt32LE(12);
  const dirOffset = end.readUInt32LE(16);
  if (count === 0xffff || dirOffset === 0xffffffff) {
    throw new ArchiveError("ZIP64 archives are not supported; use tar or tar.gz for archives this large");
  }
  if (count > maxEntries) {
    throw new ArchiveError(`the archive has more than ${maxEntries} entries`);
  }
  if (dirOffset + dirSize > fileSize) {
    throw new ArchiveError("the zip archive is truncated");
  }
  const dir = await readAt(handle, dirOffset, dirSize);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > dir.length || dir.readUInt32LE(at) !== centralSignature) {
      throw new ArchiveError("the zip archive has a corrupt central directory");
    }
    const madeBy = dir.readUInt16LE(at + 4) >> 8;
    const flags = dir.readUInt16LE(at + 8);
    const method = dir.readUInt16LE(at + 10);
    const compressedSize = dir.readUInt32LE(at + 20);
    const size = dir.readUInt32LE(at + 24);
    const nameLength = dir.readUInt16LE(at + 28);
    const extraLength = dir.readUInt16LE(at + 30);
    const commentLength = dir.readUInt16LE(at + 32);
    const external = dir.readUInt32LE(at + 38);
    const offset = dir.readUInt32LE(at + 42);
    const name = dir.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    at += 46 + nameLength + extraLength + commentLength;
    if ((flags & 1) !== 0) {
      throw new ArchiveError(`zip entry ${JSON.stringify(name)} is encrypted`);
    }
    if (method !== 0 && method !== 8) {
      throw new ArchiveError(`zip entry ${JSON.stringify(name)} uses compression method ${method}; only stored and deflate are supported`);
    }
    if (size === 0xffffffff || compressedSize === 0xffffffff || offset === 0xffffffff) {
      throw new ArchiveError("ZIP64 archives are not supported; use tar or tar.gz for archives this large");
    }
    // Unix zips keep st_mode in the high half of the external attributes.
    const unixMode = madeBy === 3 ? external >>> 16 : 0;
    const format = unixMode & 0o170000;
    let type: RawEntry["type"];
    if (format === 0o120000) {
      type = "symlink";
    } else if (format === 0o040000 || name.endsWith("/")) {
      type = "dir";
    } else if (format === 0 || format === 0o100000) {
      type = "file";
    } else {
      throw new ArchiveError(`archive entry ${JSON.stringify(name)} is a device or fifo; only files, directories and symlinks can be copied`);
    }
    const mode = unixMode & 0o7777 || (type === "dir" ? 0o755 : 0o644);
    entries.push({ name, type, mode, size: type === "file" ? size : 0, offset, method, compressedSize, storedSize: size });
  }
  for (const entry of entries) {
    if (entry.type === "dir") {
      continue;
    }
    if (entry.type === "symlink" && entry.compressedSize > maxLinkBytes * 2) {
      throw new ArchiveError(`zip entry ${JSON.stringify(entry.name)} is a symlink with an oversized target`);
    }
    const start = await zipDataStart(handle, entry);
    entry.dataStart = start;
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    let seen = 0;
    const tap = new Transform({
      transform(piece: Buffer, _enc, done) {
        seen += piece.length;
        if (seen > entry.storedSize) {
          done(new ArchiveError(`zip entry ${JSON.stringify(entry.name)} is larger than its header says`));
          return;
        }
        hash.update(piece);
        if (entry.type === "symlink") {
          chunks.push(piece);
        }
        done();
      },
    });
    try {
      await pipeline(zipContent(path, start, entry), tap);
    } catch (err) {
      throw err instanceof ArchiveError ? err : new ArchiveError(`zip entry ${JSON.stringify(entry.name)} is corrupt: ${(err as Error).message}`);
    }
    if (seen !== entry.storedSize) {
      throw new ArchiveError(`zip entry ${JSON.stringify(entry.name)} is shorter than its header says`);
    }
    if (entry.type === "symlink") {
      entry.linkTarget = Buffer.concat(chunks).toString("utf8");
    } else {
      entry.sha256 = hash.digest("hex");
    }
  }
  return entries;
}
