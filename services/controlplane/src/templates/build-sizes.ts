import { errors } from "@wrenn/shared";
import type { SandboxResources } from "../lifecycle/sandbox.js";
import { isBaseHostTemplate, isPlatform, type TemplateRecord } from "./template.js";

/** Bounds of a base template's size (the host refuses more vCPUs than it has). */
export const sizeLimits = { minVcpus: 1, maxVcpus: 16, minMemoryMib: 256, maxMemoryMib: 65536, memoryStepMib: 128, maxDiskMib: 1024 * 1024 } as const;

/**
 * The host template a build starts from and the size of what it makes. A
 * platform base may be taken in any size (the host makes "base-<v>x<m>"
 * once); any other template keeps its vCPUs and memory. The disk may grow.
 */
export function buildSizes(from: TemplateRecord, spec: { vcpus: number; memoryMib: number; diskMib: number }): { fromHostTemplateId: string; resources: SandboxResources } {
  const base = isPlatform(from) && isBaseHostTemplate(from.hostTemplateId);
  const vcpus = spec.vcpus || from.resources.vcpus;
  const memoryMib = spec.memoryMib || from.resources.memoryMib;
  let fromHostTemplateId = from.hostTemplateId;
  if (base) {
    if (vcpus < sizeLimits.minVcpus || vcpus > sizeLimits.maxVcpus) {
      throw errors.invalidArgument(`vcpus must be between ${sizeLimits.minVcpus} and ${sizeLimits.maxVcpus}, got ${vcpus}`);
    }
    if (memoryMib < sizeLimits.minMemoryMib || memoryMib > sizeLimits.maxMemoryMib || memoryMib % sizeLimits.memoryStepMib !== 0) {
      throw errors.invalidArgument(
        `memory_mib must be between ${sizeLimits.minMemoryMib} and ${sizeLimits.maxMemoryMib} and a multiple of ${sizeLimits.memoryStepMib}, got ${memoryMib}`,
      );
    }
    if (vcpus !== from.resources.vcpus || memoryMib !== from.resources.memoryMib) fromHostTemplateId = `base-${vcpus}x${memoryMib}`;
  } else if (vcpus !== from.resources.vcpus || memoryMib !== from.resources.memoryMib) {
    throw errors.invalidArgument(
      `vcpus and memory_mib must be the FROM template's (${from.resources.vcpus} vCPUs, ${from.resources.memoryMib} MiB) unless it is a base template; give 0 to take them`,
    );
  }
  const diskMib = spec.diskMib || from.resources.diskMib;
  if (diskMib < from.resources.diskMib) {
    throw errors.invalidArgument(`disk_mib may only grow: the FROM template's disk is ${from.resources.diskMib} MiB, got ${diskMib}`);
  }
  if (diskMib > sizeLimits.maxDiskMib) throw errors.invalidArgument(`disk_mib must be at most ${sizeLimits.maxDiskMib}, got ${diskMib}`);
  return { fromHostTemplateId, resources: { vcpus, memoryMib, diskMib } };
}
