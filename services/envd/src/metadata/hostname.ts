import { readFile, writeFile } from "node:fs/promises";
import type { Logger } from "@wrenn/shared";

const kernelHostname = "/proc/sys/kernel/hostname";

/**
 * Makes the kernel's hostname the sandbox's. A VM restored from a template
 * still carries the template's name; the namespace runtime sets it before
 * envd starts, so there this is a no-op. Failure (not root, or no UTS
 * namespace of our own) is logged, never fatal: identity is also in Init.
 * Only when the guest's init asks for it (WRENN_ENVD_SET_HOSTNAME=1): an
 * envd run directly on a machine must never rename that machine.
 */
export async function applyHostname(hostname: string, logger: Logger): Promise<void> {
  if (!hostname || process.env.WRENN_ENVD_SET_HOSTNAME !== "1") return;
  const current = (await readFile(kernelHostname, "utf8").catch(() => "")).trim();
  if (current === hostname) return;
  try {
    await writeFile(kernelHostname, hostname);
    logger.info({ hostname, previous: current }, "hostname set");
  } catch (err) {
    logger.warn({ err, hostname }, "could not set the hostname");
  }
}
