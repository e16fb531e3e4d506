import { availableParallelism } from "node:os";

/**
 * Base templates in sizes: `base` is the host's configured size, and
 * `base-<vcpus>x<memoryMiB>` any size within the bounds below (the QEMU
 * runtime cold-boots each once, lazily; the namespace runtime applies it as
 * cgroup limits). Listed ones are what the platform ships; any valid id is
 * accepted.
 */
export const baseTemplateId = "base";
export const listedBaseSizes = ["base-1x1024", "base-2x4096"];

const sizePattern = /^base-(\d{1,2})x(\d{3,5})$/;

export interface BaseSize {
  vcpus: number;
  memoryMiB: number;
}

/** The size a base-size id names, or undefined when it is not one (or out of bounds: 1..16 and at most the host's CPUs; 256..65536 MiB in steps of 128). */
export function parseBaseSize(id: string, hostCpus = availableParallelism()): BaseSize | undefined {
  const match = sizePattern.exec(id);
  if (!match) return undefined;
  const vcpus = Number(match[1]);
  const memoryMiB = Number(match[2]);
  // A canonical spelling only (no leading zeros), so one size has one id and one template directory.
  if (`base-${vcpus}x${memoryMiB}` !== id) return undefined;
  if (vcpus < 1 || vcpus > 16 || vcpus > hostCpus) return undefined;
  if (memoryMiB < 256 || memoryMiB > 65536 || memoryMiB % 128 !== 0) return undefined;
  return { vcpus, memoryMiB };
}

export function isBaseTemplateId(id: string): boolean {
  return id === baseTemplateId || parseBaseSize(id) !== undefined;
}
