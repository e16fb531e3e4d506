import { readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@wrenn/shared";
import type { BuildVars } from "./build-vars.js";

/** What build-step.json holds beside a checkpoint: enough to go on from it without the steps before. */
export interface CacheEntryMeta {
  key: string;
  /** The template the checkpoint's disk is backed by, and its createdAt (a re-made template is another one). */
  templateId: string;
  templateCreatedAt: string;
  diskMiB: number;
  vars: BuildVars;
}

const metaFile = "build-step.json";
const keyPattern = /^[0-9a-f]{64}$/;

/**
 * The step cache: `<dir>/<key>/` is a checkpoint directory (the manager's
 * files and checkpoint.json) plus build-step.json, written last, so an entry
 * without it is incomplete and removed. Last use is build-step.json's mtime;
 * GC removes the least recently used entries past the budget.
 */
export class BuildCache {
  /** Entries a running build restores from or is writing: GC leaves them. */
  private readonly held = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly budgetBytes: number,
    private readonly logger: Logger,
  ) {}

  dirOf(key: string): string {
    return join(this.dir, key);
  }

  /** At start: entries a crash left half-written go. */
  async removeIncomplete(): Promise<void> {
    for (const key of await this.keys()) {
      if ((await this.read(key)) === undefined) await rm(this.dirOf(key), { recursive: true, force: true });
    }
  }

  /** The complete entry for `key`, marked as used now; undefined when absent. */
  async lookup(key: string): Promise<CacheEntryMeta | undefined> {
    const meta = await this.read(key);
    if (meta === undefined) return undefined;
    const now = new Date();
    await utimes(join(this.dirOf(key), metaFile), now, now).catch(() => {});
    return meta;
  }

  /** True when a directory exists for the key (complete or being written by another build). */
  async exists(key: string): Promise<boolean> {
    return stat(this.dirOf(key)).then(
      () => true,
      () => false,
    );
  }

  /** Makes the entry whose checkpoint was just written complete. */
  async commit(meta: CacheEntryMeta): Promise<void> {
    await writeFile(join(this.dirOf(meta.key), metaFile), JSON.stringify(meta));
  }

  async remove(key: string): Promise<void> {
    await rm(this.dirOf(key), { recursive: true, force: true });
  }

  hold(key: string): () => void {
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.held.get(key) ?? 1) - 1;
      if (n <= 0) this.held.delete(key);
      else this.held.set(key, n);
    };
  }

  /** Entries backed by a template that was deleted cannot be restored any more. */
  async purgeTemplate(templateId: string): Promise<number> {
    let removed = 0;
    for (const key of await this.keys()) {
      const meta = await this.read(key);
      if (meta?.templateId === templateId && !this.held.has(key)) {
        await this.remove(key);
        removed += 1;
      }
    }
    if (removed > 0) this.logger.info({ templateId, removed }, "build cache entries of a deleted template removed");
    return removed;
  }

  /** Least recently used entries go until the cache fits its budget. */
  async gc(): Promise<void> {
    const entries: Array<{ key: string; bytes: number; usedAt: number }> = [];
    for (const key of await this.keys()) {
      const used = await stat(join(this.dirOf(key), metaFile)).catch(() => undefined);
      if (used === undefined) continue;
      entries.push({ key, bytes: await allocatedBytes(this.dirOf(key)), usedAt: used.mtimeMs });
    }
    let total = entries.reduce((sum, e) => sum + e.bytes, 0);
    entries.sort((a, b) => a.usedAt - b.usedAt);
    for (const entry of entries) {
      if (total <= this.budgetBytes) break;
      if (this.held.has(entry.key)) continue;
      await this.remove(entry.key);
      total -= entry.bytes;
      this.logger.info({ key: entry.key, bytes: entry.bytes }, "build cache entry removed (least recently used)");
    }
  }

  private async keys(): Promise<string[]> {
    return (await readdir(this.dir).catch(() => [] as string[])).filter((name) => keyPattern.test(name));
  }

  private async read(key: string): Promise<CacheEntryMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dirOf(key), metaFile), "utf8")) as CacheEntryMeta;
    } catch {
      return undefined;
    }
  }
}

/** Bytes a directory tree takes on disk (allocated blocks: sparse images count what they hold). */
export async function allocatedBytes(path: string): Promise<number> {
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.blocks * 512;
  let sum = st.blocks * 512;
  for (const name of await readdir(path).catch(() => [] as string[])) sum += await allocatedBytes(join(path, name));
  return sum;
}
