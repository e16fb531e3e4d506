import { createReadStream } from "node:fs";
import type { BuildSpec, CreateBuildRequest } from "@wrenn/gen/wrenn/api/v1/template.js";

/** The archive travels in 1 MiB messages (the API takes at most 4 MiB a message). */
export const chunkBytes = 1024 * 1024;

/**
 * The CreateBuild client stream: the spec first, then the archive's bytes in
 * order, read from disk one chunk at a time; onProgress sees the bytes sent.
 */
export async function* buildRequests(
  spec: BuildSpec,
  archivePath: string | undefined,
  onProgress: (sentBytes: number) => void = () => {},
): AsyncGenerator<CreateBuildRequest> {
  yield { spec };
  if (!archivePath) {
    return;
  }
  let sent = 0;
  for await (const chunk of createReadStream(archivePath, { highWaterMark: chunkBytes })) {
    const piece = chunk as Buffer;
    yield { archiveChunk: piece };
    sent += piece.length;
    onProgress(sent);
  }
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** "Uploading archive: 3.0/12.5 MiB (24%)" on a terminal (redrawn), a line at the start and end otherwise. */
export function uploadReporter(out: { write(text: string): void; isTTY: boolean }, total: number): (sent: number) => void {
  if (!out.isTTY) {
    out.write(`Uploading archive (${mib(total)})…\n`);
  }
  return (sent) => {
    if (out.isTTY) {
      const percent = total === 0 ? 100 : Math.floor((sent / total) * 100);
      out.write(`\r\x1b[KUploading archive: ${mib(sent)}/${mib(total)} (${percent}%)${sent >= total ? "\n" : ""}`);
    } else if (sent >= total) {
      out.write(`Uploaded ${mib(total)}\n`);
    }
  };
}
