import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { withBuildLock } from "../../src/image/build-lock.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "wrenn-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("image build lock", () => {
  test("two builders of one images directory run one after the other", async () => {
    const events: string[] = [];
    const builder = (name: string) =>
      withBuildLock(dir, undefined, async () => {
        events.push(`${name} start`);
        await sleep(300);
        events.push(`${name} end`);
      });
    await Promise.all([builder("a"), builder("b")]);
    expect(events).toHaveLength(4);
    expect(events[1]).toBe(events[0].replace("start", "end"));
    expect(events[3]).toBe(events[2].replace("start", "end"));
  });

  test("a lock left by a process that no longer exists is taken over", async () => {
    await mkdir(join(dir, ".build-lock"));
    // A pid far above pid_max's default is never a live process.
    await writeFile(join(dir, ".build-lock", "pid"), "99999999");
    const result = await withBuildLock(dir, AbortSignal.timeout(5000), async () => "built");
    expect(result).toBe("built");
  });

  test("a waiting builder gives up when its signal aborts", async () => {
    await mkdir(join(dir, ".build-lock"));
    await writeFile(join(dir, ".build-lock", "pid"), String(process.pid));
    await expect(withBuildLock(dir, AbortSignal.timeout(700), async () => "never")).rejects.toThrow();
  });
});
