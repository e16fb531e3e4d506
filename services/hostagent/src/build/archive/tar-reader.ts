import { createHash } from "node:crypto";
import { ByteReader } from "./byte-reader.js";
import { ArchiveError } from "./archive-types.js";

/** A tar member as stored, before path normalization. */
export interface RawEntry {
  name: string;
  type: "file" | "dir" | "symlink" | "hardlink";
  mode: number;
  size: number;
  linkTarget?: string;
  /** Files: where the content starts in the (uncompressed) stream. */
  offset: number;
  sha256?: string;
}

const block = 512;
// Metadata members (pax, GNU long names) are small; a huge one is an attack, not a name.
const maxMetaBytes = 1024 * 1024;

/** True when the 512 bytes are a tar header with a correct checksum (ustar or v7). */
export function isTarHeader(header: Buffer): boolean {
  if (header.length < block) {
    return false;
  }
  const stored = parseNumber(header.subarray(148, 156));
  return stored !== undefined && stored === checksum(header);
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < block; i++) {
    sum += i >= 148 && i < 156 ? 0x20 : header[i];
  }
  return sum;
}

/** An octal field (NUL/space padded) or a GNU base-256 one (high bit set). */
function parseNumber(field: Buffer): number | undefined {
  if (field.length > 0 && (field[0] & 0x80) !== 0) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + field[i];
    }
    return Number.isSafeInteger(value) ? value : undefined;
  }
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  if (text === "") {
    return 0;
  }
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString("utf8");
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : parseInt(data.subarray(at, space).toString("latin1"), 10);
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length) {
      throw new ArchiveError("the tar archive has a malformed pax header");
    }
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) {
      out[record.slice(0, eq)] = record.slice(eq + 1);
    }
    at += length;
  }
  return out;
}

const padded = (size: number) => Math.ceil(size / block) * block;

/**
 * Walks a tar stream once: every member's header, with files' content hashed
 * on the way (never held). Devices, fifos and unknown member types are refused.
 */
export async function scanTar(reader: ByteReader, maxEntries: number): Promise<RawEntry[]> {
  const entries: RawEntry[] = [];
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  for (;;) {
    const header = await reader.read(block);
    if (!header || header.every((b) => b === 0)) {
      break; // end-of-archive marker (or a stream that simply ends)
    }
    if (!isTarHeader(header)) {
      throw new ArchiveError(`the tar archive is corrupt (bad header at byte ${reader.position - block})`);
    }
    const flag = String.fromCharCode(header[156] || 0x30);
    let size = parseNumber(header.subarray(124, 136)) ?? -1;
    if (pax.size !== undefined && /^\d+$/.test(pax.size)) {
      size = Number(pax.size);
    }
    if (size < 0 || !Number.isSafeInteger(size)) {
      throw new ArchiveError("the tar archive is corrupt (bad size field)");
    }
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > maxMetaBytes) {
        throw new ArchiveError("the tar archive has an oversized metadata member");
      }
      const data = (await reader.read(padded(size)))?.subarray(0, size) ?? Buffer.alloc(0);
      if (flag === "x") {
        pax = parsePax(data);
      } else if (flag === "L") {
        longName = cString(data);
      } else if (flag === "K") {
        longLink = cString(data);
      }
      continue; // "g" (global pax) carries nothing a copy needs
    }
    // Only POSIX ustar ("ustar\0") has a name prefix; old GNU headers keep other fields there.
    const posixUstar = header.subarray(257, 263).toString("latin1") === "ustar\0";
    const prefix = posixUstar ? cString(header.subarray(345, 500)) : "";
    const plainName = cString(header.subarray(0, 100));
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${plainName}` : plainName);
    const linkTarget = pax.linkpath ?? longLink ?? cString(header.subarray(157, 257));
    const mode = (parseNumber(header.subarray(100, 108)) ?? 0) & 0o7777;
    pax = {};
    longName = longLink = undefined;
    if (entries.length >= maxEntries) {
      throw new ArchiveError(`the archive has more than ${maxEntries} entries`);
    }
    const offset = reader.position;
    switch (flag) {
      case "0":
      case "7": {
        const hash = createHash("sha256");
        await reader.skip(size, (piece) => hash.update(piece));
        await reader.skip(padded(size) - size);
        // A v7 directory is a regular member whose name ends in "/".
        const type = name.endsWith("/") && size === 0 ? "dir" : "file";
        entries.push({ name, type, mode, size: type === "file" ? size : 0, offset, sha256: type === "file" ? hash.digest("hex") : undefined });
        break;
      }
      case "5":
      case "2":
      case "1":
        await reader.skip(padded(size));
        entries.push({
          name,
          type: flag === "5" ? "dir" : flag === "2" ? "symlink" : "hardlink",
          mode,
          size: 0,
          offset,
          linkTarget: flag === "5" ? undefined : linkTarget,
        });
        break;
      case "3":
      case "4":
        throw new ArchiveError(`archive entry ${JSON.stringify(name)} is a device; only files, directories and symlinks can be copied`);
      case "6":
        throw new ArchiveError(`archive entry ${JSON.stringify(name)} is a fifo; only files, directories and symlinks can be copied`);
      default:
        throw new ArchiveError(`archive entry ${JSON.stringify(name)} has an unsupported tar type "${flag}"`);
    }
  }
  await reader.drain();
  return entries;
}
