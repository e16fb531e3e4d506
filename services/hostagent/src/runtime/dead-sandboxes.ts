import type { Logger } from "@wrenn/shared";
import { removeLeftoverSandboxes } from "./namespace/leftovers.js";
import { killLeftoverVms } from "./qemu/leftover-vms.js";

/**
 * Removes everything of sandboxes a restarted agent could not adopt,
 * whichever runtime made them: a QEMU still running (by its verified pid
 * file), bwrap processes naming the sandbox, mounts, the directory, cgroups.
 * Their networks go with SandboxNetworks.removeStale.
 */
export async function removeDeadSandboxes(sandboxesDir: string, names: string[], logger: Logger): Promise<string[]> {
  if (names.length === 0) return [];
  await killLeftoverVms(sandboxesDir, names, logger);
  return removeLeftoverSandboxes(sandboxesDir, names, logger);
}
