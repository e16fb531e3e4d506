import { open } from "node:fs/promises";

/** The last `maxBytes` of a log file as text ("" when it cannot be read). */
export async function readFileTail(path: string, maxBytes = 8192): Promise<string> {
  try {
    const file = await open(path, "r");
    try {
      const { size } = await file.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, size - length);
      return buffer.toString("utf8");
    } finally {
      await file.close();
    }
  } catch {
    return "";
  }
}
