import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * One image build at a time per images directory, across processes (an agent
 * starting while `npm run image` or a test builds): the second waits, then
 * finds the image built. The lock is a directory holding the owner's pid; a
 * lock whose owner is gone is taken over.
 */
export async function withBuildLock<T>(imagesDir: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  const lock = join(imagesDir, ".build-lock");
  await mkdir(imagesDir, { recursive: true });
  for (;;) {
    signal?.throwIfAborted();
    try {
      await mkdir(lock);
      await writeFile(join(lock, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!(await ownerAlive(lock))) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      await sleep(500, undefined, { signal });
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function ownerAlive(lock: string): Promise<boolean> {
  const text = await readFile(join(lock, "pid"), "utf8").catch(() => "");
  const pid = Number(text);
  // A lock without a pid yet is being taken right now: treat it as alive.
  if (!text) return true;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
