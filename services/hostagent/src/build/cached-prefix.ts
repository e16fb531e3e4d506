import type { RecipeStep } from "@wrenn/shared";
import type { CopyPlan } from "./archive/build-archive.js";
import type { BuildCache } from "./build-cache.js";
import { isMetadataOnly } from "./build-vars.js";
import { baseKey, stepKey } from "./cache-keys.js";
import type { TemplateInfo } from "../runtime/runtime.js";

export interface CachedPrefix {
  /** keys[i] is step i's key (0-based). */
  keys: string[];
  /** Steps 0..hits-1 need not run. */
  hits: number;
  /** Key of the last cached step that left a checkpoint (the one to restore from); undefined: start from the template. */
  checkpointKey?: string;
}

/** Every step's key, given where the build starts. */
export function stepKeys(steps: RecipeStep[], plans: Map<number, CopyPlan>, from: TemplateInfo, diskMiB: number): string[] {
  const keys: string[] = [];
  let previous = baseKey(from.id, from.createdAt, diskMiB);
  steps.forEach((step, index) => {
    previous = stepKey(previous, step, plans.get(index)?.sha256 ?? "");
    keys.push(previous);
  });
  return keys;
}

/**
 * The longest prefix of the recipe already in the cache: each step that
 * changes the guest must have a complete entry backed by this very FROM
 * template; a metadata-only step (ENV) needs none, as its result follows
 * from its text. The first miss ends the prefix.
 */
export async function findCachedPrefix(cache: BuildCache, steps: RecipeStep[], keys: string[], from: TemplateInfo): Promise<CachedPrefix> {
  let hits = 0;
  let checkpointKey: string | undefined;
  for (const [index, step] of steps.entries()) {
    if (!isMetadataOnly(step)) {
      const meta = await cache.lookup(keys[index]!);
      if (meta === undefined || meta.templateId !== from.id || meta.templateCreatedAt !== from.createdAt.toISOString()) break;
      checkpointKey = keys[index];
    }
    hits = index + 1;
  }
  return { keys, hits, checkpointKey };
}
