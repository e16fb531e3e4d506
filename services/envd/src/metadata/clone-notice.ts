import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Logger } from "@wrenn/shared";
import { kernelRandomBytes } from "../util/kernel-random.js";

/** Default place of the file; `WRENN_ENVD_CLONE_FILE` moves it. */
export const defaultCloneFile = "/run/wrenn/clone-generation";

export interface CloneNotice {
  /** The id now in the file. */
  readonly current: string | undefined;
  /** Writes a fresh id: at start and at every Init (first start and after every restore). */
  renew(): Promise<string>;
}

/**
 * Tells processes that live inside a sandbox (and so may have been snapshotted
 * and cloned) that they should reseed their own generators. The file holds
 * one line, a random id drawn from the kernel after its reseed; it is
 * replaced (write to a temp name, rename) on every Init, so a reader never
 * sees half of it and an inotify watch on its directory gets IN_MOVED_TO.
 * Every clone gets a different id.
 */
export function createCloneNotice(path: string, logger: Logger): CloneNotice {
  let current: string | undefined;
  return {
    get current() {
      return current;
    },
    async renew() {
      const id = kernelRandomBytes(16).toString("hex");
      const temp = join(dirname(path), `.${basename(path)}.${id}.tmp`);
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
        await writeFile(temp, `${id}\n`, { mode: 0o644 });
        await rename(temp, path);
        current = id;
      } catch (err) {
        await unlink(temp).catch(() => {});
        logger.warn({ path, err: (err as Error).message }, "could not write the clone-generation file");
      }
      return id;
    },
  };
}
