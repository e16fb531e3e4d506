import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the wrenn-pty helper (native/wrenn-pty.c) is: WRENN_ENVD_PTY_HELPER,
 * else beside the running bundle (dist/envd.mjs → dist/wrenn-pty), else the
 * package's dist/ when envd runs from source with tsx.
 */
export function findPtyHelper(configured: string | undefined): string | undefined {
  if (configured) return configured;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "wrenn-pty"), join(here, "..", "..", "dist", "wrenn-pty")];
  return candidates.find((p) => existsSync(p));
}

/** A resize request on the helper's control socket: uint16 rows, uint16 cols, little-endian. */
export function resizeMessage(rows: number, cols: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(rows, 0);
  b.writeUInt16LE(cols, 2);
  return b;
}
