import { openSync, readSync } from "node:fs";

let urandom: number | undefined;

/**
 * Random bytes straight from the guest kernel. envd's ids (auto tags, temp
 * names, clone ids) must differ between clones of one snapshot, and Node's
 * crypto.randomBytes draws from OpenSSL's pool, which lives in envd's memory
 * and is copied with the snapshot. The kernel's generator is reseeded with
 * host entropy at every Init (see kernel-rng.ts), so reads after that differ
 * in every clone. A read of /dev/urandom is one syscall: cheap for the few
 * bytes an id needs.
 */
export function kernelRandomBytes(size: number): Buffer {
  urandom ??= openSync("/dev/urandom", "r");
  const buffer = Buffer.alloc(size);
  let filled = 0;
  while (filled < size) filled += readSync(urandom, buffer, filled, size - filled, null);
  return buffer;
}
