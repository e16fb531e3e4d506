import { gzipSync } from "node:zlib";

/** One entry of a test archive; a directory has no content. */
interface TarEntry {
  /** Written as given, so a test can make an entry a real tar tool would refuse to ("../x"). */
  path: string;
  type?: "file" | "dir" | "symlink";
  content?: string;
  mode?: number;
  linkTarget?: string;
}

/**
 * A tar.gz written byte by byte (ustar headers), the way any tar tool lays
 * them out: tests need entries with names that GNU tar will not store as
 * given (`..`), and the helper needs nothing installed.
 */
export function tarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? "file";
    const body = Buffer.from(type === "file" ? (entry.content ?? "") : "");
    blocks.push(header(entry, type, body.length));
    if (body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  // The end of the archive: two zero blocks.
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

function header(entry: TarEntry, type: "file" | "dir" | "symlink", size: number): Buffer {
  const h = Buffer.alloc(512);
  const name = type === "dir" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name over 100 bytes: ${name}`);
  h.write(name, 0, "utf8");
  octal(h, 100, 8, entry.mode ?? (type === "dir" ? 0o755 : 0o644));
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, Math.floor(Date.now() / 1000));
  h.write(type === "dir" ? "5" : type === "symlink" ? "2" : "0", 156, "ascii");
  if (entry.linkTarget) h.write(entry.linkTarget, 157, "utf8");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  // The checksum is computed with its own field as spaces.
  h.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

function octal(h: Buffer, offset: number, length: number, value: number): void {
  h.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, "ascii");
}
