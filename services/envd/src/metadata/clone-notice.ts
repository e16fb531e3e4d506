import { createHash } from "node:crypto";
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Logger } from "@wrenn/shared";
import { kernelRandomBytes } from "../util/kernel-random.js";

export interface CloneNotice {
  /** The id now in the file. */
  readonly current: string | undefined;
  /**
   * Writes a fresh id: at start and at every Init (first start and after
   * every restore). `hostEntropy` is Init's: the id is a hash of it and of
   * kernel bytes, so it differs between clones whatever the kernel's state.
   */
  renew(hostEntropy?: Uint8Array): string;
}

/**
 * Tells processes that live inside a sandbox (and so may have been snapshotted
 * and cloned) that they should reseed their own generators. The file holds
 * one line, a random id; it is replaced (write to a temp name, rename) on
 * every Init, so a reader never sees half of it and an inotify watch on its
 * directory gets IN_MOVED_TO. Every clone gets a different id.
 *
 * Synchronous on purpose: three syscalls on a tmpfs; through libuv's thread
 * pool they cost more in a freshly restored VM under TCG (each hop is guest
 * code run for the first time since the restore). Init runs it right after
 * its answer.
 */
export function createCloneNotice(path: string, logger: Logger): CloneNotice {
  let current: string | undefined;
  let dirReady = false;
  return {
    get current() {
      return current;
    },
    renew(hostEntropy) {
      const id = createHash("sha256")
        .update(hostEntropy ?? new Uint8Array())
        .update(kernelRandomBytes(16))
        .digest("hex")
        .slice(0, 32);
      const temp = join(dirname(path), `.${basename(path)}.${id}.tmp`);
      try {
        if (!dirReady) mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
        dirReady = true;
        writeFileSync(temp, `${id}\n`, { mode: 0o644 });
        renameSync(temp, path);
        current = id;
        logger.debug({ id }, "clone generation renewed");
      } catch (err) {
        dirReady = false;
        try {
          unlinkSync(temp);
        } catch {
          // never written
        }
        logger.warn({ path, err: (err as Error).message }, "could not write the clone-generation file");
      }
      return id;
    },
  };
}
