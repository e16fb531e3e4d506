import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "@wrenn/shared";
import { diskInfo } from "./disk.js";

/**
 * The base template lives in a directory named after what its snapshot
 * fixes (image, vCPUs, memory, recipe), so a changed size or image makes a
 * new base template beside the old one instead of overwriting files that
 * sandboxes still use: a running or paused sandbox maps its template's
 * memory file and has its disk as qcow2 backing file, and after a restart
 * those sandboxes are adopted, not recreated. The leading "_" keeps the name
 * out of the template id space.
 */
export function baseTemplateDirName(imageHash: string, vcpus: number, memoryMiB: number, recipe: number): string {
  const key = createHash("sha256").update(JSON.stringify({ imageHash, vcpus, memoryMiB, recipe })).digest("hex").slice(0, 16);
  return `_base-${key}`;
}

export function isBaseTemplateDirName(name: string): boolean {
  return name === "base" || /^_base-[0-9a-f]{16}$/.test(name);
}

/**
 * Removes base template directories of earlier sizes or images that nothing
 * uses any more. `inUse`: template directories that sandboxes map (their
 * machine's memory file) or that snapshot templates have as backing disk.
 */
export async function removeUnusedBaseTemplates(templatesDir: string, current: string, inUse: Set<string>, logger: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(templatesDir).catch(() => [] as string[])) {
    const dir = join(templatesDir, name);
    if (!isBaseTemplateDirName(name) || dir === current || inUse.has(dir)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(name);
  }
  if (removed.length > 0) logger.info({ removed }, "removed base templates of an earlier size or image that nothing uses");
  return removed;
}

/** The directory holding the backing file of a template's disk (its parent template), if any. */
export async function backingDirOf(diskPath: string): Promise<string | undefined> {
  const info = await diskInfo(diskPath).catch(() => undefined);
  return info?.backingFile ? dirname(info.backingFile) : undefined;
}
