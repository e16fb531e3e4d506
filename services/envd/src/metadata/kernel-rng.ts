import { writeFile } from "node:fs/promises";
import type { Logger } from "@wrenn/shared";
import type { ClockHelper } from "./clock-helper.js";

/** Which way the host's entropy reached the kernel (logged with every Init). */
export type ReseedPath = "helper-reseeded" | "helper-credited" | "helper-mixed" | "urandom-write" | "failed";

export interface KernelRng {
  /**
   * Feeds the host's fresh randomness to the guest kernel. Every clone of a
   * snapshot starts with the same CRNG state; after this, the kernel (and so
   * /dev/urandom, getrandom, and every process started from now on) differs
   * in each clone.
   */
  reseed(entropy: Uint8Array): Promise<ReseedPath>;
}

/**
 * Preferred: the wrenn-clock helper (already running in the snapshot, and
 * root in the guest) credits the bytes with RNDADDENTROPY and forces a
 * reseed with RNDRESEEDCRNG. Without it (no helper, or it died), the bytes
 * are written to /dev/urandom: mixed into the pool, but neither credited nor
 * applied at once (the kernel's next scheduled reseed picks them up).
 */
export function createKernelRng(logger: Logger, helper: ClockHelper | undefined): KernelRng {
  return {
    async reseed(entropy) {
      if (helper?.alive) {
        try {
          return `helper-${await helper.seed(entropy)}`;
        } catch (err) {
          logger.warn({ err: (err as Error).message }, "the helper could not seed the kernel RNG; writing to /dev/urandom");
        }
      }
      try {
        await writeFile("/dev/urandom", entropy);
        return "urandom-write";
      } catch (err) {
        logger.error({ err: (err as Error).message }, "could not feed host entropy to the kernel RNG");
        return "failed";
      }
    },
  };
}
