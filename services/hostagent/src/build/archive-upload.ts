import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { errors } from "@wrenn/shared";

/** Largest archive a build takes. */
export const maxArchiveBytes = 2 * 1024 * 1024 * 1024;

/**
 * Writes StartBuild's archive chunks to `path` as they arrive (never held in
 * memory), refusing more than `limit` bytes with RESOURCE_EXHAUSTED. Returns
 * the bytes written; the caller removes the file on any failure.
 */
export async function storeArchive(chunks: AsyncIterable<Uint8Array>, path: string, limit = maxArchiveBytes): Promise<number> {
  const out = createWriteStream(path, { flags: "wx", mode: 0o600 });
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (bytes > limit) throw errors.resourceExhausted(`the archive is larger than ${limit / 1024 / 1024} MiB`);
      if (!out.write(chunk)) await once(out, "drain");
    }
  } finally {
    out.end();
    await once(out, "close").catch(() => {});
  }
  return bytes;
}
