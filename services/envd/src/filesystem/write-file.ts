import { kernelRandomBytes } from "../util/kernel-random.js";
import { chmod, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { errors } from "@wrenn/shared";
import { W } from "./access.js";
import { entryAt, type Entry } from "./entry.js";
import type { FsContext } from "./fs-context.js";
import { fsError } from "./fs-errors.js";
import { makeDirs } from "./make-dir.js";
import { giveTo } from "./ownership.js";

/**
 * Writes a file from a stream of chunks. Data goes to a temporary file in the
 * same directory that is renamed over the target only after the last chunk,
 * so readers never see half a file and a cancelled upload leaves nothing.
 * Missing parent directories are created; the result belongs to the acting
 * user; an existing file's permission bits are kept.
 */
export async function writeFileAtomic(path: string, chunks: AsyncIterable<Buffer>, ctx: FsContext): Promise<Entry> {
  let existing: Stats | undefined;
  let temp: string | undefined;
  let handle: FileHandle | undefined;
  try {
    existing = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (existing?.isDirectory()) throw errors.failedPrecondition(`write ${path}: is a directory`);
    if (existing && !existing.isFile()) throw errors.failedPrecondition(`write ${path}: not a regular file`);
    await makeDirs(dirname(path), true, ctx);
    await ctx.access.requireParentWrite(path, ctx.user, "write");
    if (existing) await ctx.access.require(path, ctx.user, W, "write");

    temp = join(dirname(path), `.${basename(path)}.wrenn-${kernelRandomBytes(6).toString("hex")}.tmp`);
    handle = await open(temp, "wx", 0o600);
    for await (const chunk of chunks) {
      if (ctx.signal?.aborted) throw errors.aborted("upload cancelled");
      if (chunk.length > 0) await handle.write(chunk);
    }
    // A client that cancels an upload half-closes the stream first and sends
    // the RST_STREAM only after that write completed (Node's http2 close()),
    // so the end of the stream alone does not prove the upload is complete.
    // Give the cancellation a moment to arrive before committing.
    await cancellationGrace(ctx.signal);
    if (ctx.signal?.aborted) throw errors.aborted("upload cancelled");
    await handle.close();
    handle = undefined;
    await chmod(temp, existing ? existing.mode & 0o7777 : 0o644);
    await giveTo(temp, ctx.user);
    await rename(temp, path);
    temp = undefined;
    return await entryAt(path, ctx.names);
  } catch (err) {
    throw fsError(err, "write", path);
  } finally {
    await handle?.close().catch(() => {});
    if (temp) await unlink(temp).catch(() => {});
  }
}

const commitGraceMs = 100;

function cancellationGrace(signal: AbortSignal | undefined): Promise<void> {
  if (!signal || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, commitGraceMs);
    signal.addEventListener("abort", done, { once: true });
  });
}
