import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** A scratch directory removed by the returned cleanup. */
export function scratch(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "wrenn-archive-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The project tree the tests archive with the real tar and zip commands:
 * app/ (a script, a nested dir, a relative symlink), config.json, and a file
 * name with a space.
 */
export function makeTree(dir: string): string {
  const src = join(dir, "src");
  mkdirSync(join(src, "app", "lib"), { recursive: true });
  writeFileSync(join(src, "app", "server.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(src, "app", "server.sh"), 0o755);
  writeFileSync(join(src, "app", "lib", "util.txt"), "util\n");
  symlinkSync("lib/util.txt", join(src, "app", "util-link"));
  writeFileSync(join(src, "config.json"), '{"port":8080}\n');
  writeFileSync(join(src, "notes two.txt"), "spaced\n");
  writeFileSync(join(src, "big.bin"), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  return src;
}

export function tarOf(src: string, out: string, gzip = false): string {
  execFileSync("tar", [gzip ? "-czf" : "-cf", out, "-C", src, "."]);
  return out;
}

export function zipOf(src: string, out: string): string {
  // -y stores symlinks as links, not their targets' contents.
  execFileSync("zip", ["-q", "-r", "-y", out, "."], { cwd: src });
  return out;
}

/** One hand-made tar member, for archives no honest tool writes (escapes, devices). */
export interface Member {
  name: string;
  type?: "0" | "1" | "2" | "3" | "5" | "6";
  content?: string;
  link?: string;
}

function header(m: Member, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(m.name, 0, 100, "utf8");
  h.write("0000644\0", 100, "latin1");
  h.write("0000000\0", 108, "latin1");
  h.write("0000000\0", 116, "latin1");
  h.write(size.toString(8).padStart(11, "0") + "\0", 124, "latin1");
  h.write("00000000000\0", 136, "latin1");
  h.write(m.type ?? "0", 156, "latin1");
  h.write(m.link ?? "", 157, 100, "utf8");
  h.write("ustar\0" + "00", 257, "latin1");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) {
    sum += b;
  }
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
  return h;
}

export function handTar(members: Member[], gzip = false): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const data = Buffer.from(m.content ?? "");
    parts.push(header(m, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  const tar = Buffer.concat(parts);
  return gzip ? gzipSync(tar) : tar;
}

/** A zip holding one member with an arbitrary name (python's zipfile writes what it is told). */
export function handZip(out: string, name: string, content: string): string {
  execFileSync("python3", [
    "-c",
    "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z: z.writestr(sys.argv[2], sys.argv[3])",
    out,
    name,
    content,
  ]);
  return out;
}

export const read = (path: string) => readFileSync(path);
