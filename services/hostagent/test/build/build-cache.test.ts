import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createLogger } from "@wrenn/shared";
import { BuildCache, type CacheEntryMeta } from "../../src/build/build-cache.js";
import { initialVars } from "../../src/build/build-vars.js";

/** The step cache's files on a real directory: completeness, LRU GC within the budget, purge by backing template. */
let dir: string;
const logger = createLogger("test", { level: "silent" });
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "wrenn-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = (n: number) => n.toString(16).padStart(64, "0");

async function entry(cache: BuildCache, n: number, templateId: string, bytes: number, usedAt: number): Promise<void> {
  await mkdir(cache.dirOf(key(n)));
  await writeFile(join(cache.dirOf(key(n)), "state"), Buffer.alloc(bytes, 1));
  const meta: CacheEntryMeta = { key: key(n), templateId, templateCreatedAt: new Date(0).toISOString(), diskMiB: 1, vars: initialVars() };
  await cache.commit(meta);
  await utimes(join(cache.dirOf(key(n)), "build-step.json"), usedAt, usedAt);
}

describe("build cache", () => {
  test("an entry without build-step.json is incomplete: not found, and removed at start", async () => {
    const cache = new BuildCache(dir, 1 << 30, logger);
    await mkdir(cache.dirOf(key(1)));
    expect(await cache.lookup(key(1))).toBeUndefined();
    await cache.removeIncomplete();
    expect(existsSync(cache.dirOf(key(1)))).toBe(false);
  });

  test("GC removes the least recently used entries until the cache fits, sparing held ones; lookup counts as use", async () => {
    const cache = new BuildCache(dir, 250_000, logger);
    await entry(cache, 1, "base", 100_000, 1000);
    await entry(cache, 2, "base", 100_000, 2000);
    await entry(cache, 3, "base", 100_000, 3000);
    await entry(cache, 4, "base", 100_000, 4000);
    await cache.lookup(key(1));
    const release = cache.hold(key(2));
    await cache.gc();
    // About 110 KB each: two fit. 2 is held, 1 was just used: 3 and 4 go.
    expect([1, 2, 3, 4].map((n) => existsSync(cache.dirOf(key(n))))).toEqual([true, true, false, false]);
    release();
    await entry(cache, 5, "base", 100_000, 5000);
    await cache.gc();
    expect([1, 2, 5].map((n) => existsSync(cache.dirOf(key(n))))).toEqual([true, false, true]);
  });

  test("purging a template removes only the entries backed by it", async () => {
    const cache = new BuildCache(dir, 1 << 30, logger);
    await entry(cache, 1, "tpl-a", 10, 1000);
    await entry(cache, 2, "tpl-b", 10, 1000);
    expect(await cache.purgeTemplate("tpl-a")).toBe(1);
    expect(existsSync(cache.dirOf(key(1)))).toBe(false);
    expect((await cache.lookup(key(2)))?.templateId).toBe("tpl-b");
  });
});
