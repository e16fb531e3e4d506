import { constants, type Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { errors } from "@wrenn/shared";
import { R } from "./access.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";

const chunkBytes = 64 * 1024;

/**
 * Streams a regular file. Anything else (devices such as /dev/zero, FIFOs,
 * sockets, directories) is refused from its stat, before any open that could
 * block or never end; O_NONBLOCK plus an fstat of the opened descriptor closes
 * the race where the path is swapped between the two. Reading stops as soon
 * as the caller cancels; the generator's pace is the consumer's pace.
 */
export async function* readFileChunks(path: string, ctx: FsContext): AsyncGenerator<Buffer> {
  let handle: FileHandle | undefined;
  try {
    await ctx.access.require(path, ctx.user, R, "read");
    refuseUnlessRegular(path, await stat(path));
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    refuseUnlessRegular(path, await handle.stat());
  } catch (err) {
    await handle?.close().catch(() => {});
    throw fsError(err, "read", path);
  }
  try {
    for (;;) {
      if (ctx.signal?.aborted) return;
      const buffer = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } catch (err) {
    throw fsError(err, "read", path);
  } finally {
    await handle.close().catch(() => {});
  }
}

function refuseUnlessRegular(path: string, st: Stats): void {
  if (st.isFile()) return;
  throw errors.failedPrecondition(`read ${path}: not a regular file (${kindOf(st)}); only regular files can be read`);
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "directory";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  if (st.isFIFO()) return "named pipe";
  if (st.isSocket()) return "socket";
  return "special file";
}
