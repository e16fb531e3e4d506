import { statfsSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import type { SandboxResources } from "../runtime.js";
import type { CgroupLimits } from "./cgroups.js";

/**
 * What a namespace sandbox gets: its cgroup CPU quota and memory limit (the
 * host's CPUs and memory when unlimited); its disk is the host filesystem
 * holding the data dir (no quota).
 */
export function namespaceResources(sandboxesDir: string, limits: CgroupLimits | undefined): SandboxResources {
  const mib = 1024 * 1024;
  let diskMiB = 0;
  try {
    const fs = statfsSync(sandboxesDir);
    diskMiB = Math.floor((fs.blocks * fs.bsize) / mib);
  } catch {
    // the directory is made at the first create; 0 = unknown
  }
  const cpus = limits?.cpus || availableParallelism();
  const memoryBytes = limits?.memoryBytes || totalmem();
  return { vcpus: cpus, memoryMiB: Math.floor(memoryBytes / mib), diskMiB };
}
