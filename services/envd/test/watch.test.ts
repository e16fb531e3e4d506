import { chmodSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Status } from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FileEventType, type WatchDirResponse } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { startEnvd, statusOf, type RunningEnvd } from "./harness.js";

let envd: RunningEnvd;
beforeAll(async () => {
  envd = await startEnvd();
});
afterAll(async () => {
  await envd?.stop();
});

type Seen = { name: string; type: FileEventType };

/** Opens a watch, waits for `started`, and collects file events in the background. */
async function openWatch(path: string, recursive: boolean) {
  const abort = new AbortController();
  const seen: Seen[] = [];
  const it = envd.fs.watchDir({ path, recursive }, { signal: abort.signal })[Symbol.asyncIterator]();
  const first = (await it.next()).value as WatchDirResponse;
  expect(first.started).toBeDefined();
  const done = (async () => {
    try {
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        if (next.value.file) seen.push({ name: next.value.file.name, type: next.value.file.type });
      }
    } catch {
      /* cancelled */
    }
  })();
  return {
    seen,
    async expectSeen(expected: Seen[]) {
      await vi.waitFor(
        () => {
          if (!expected.every((e) => seen.some((s) => s.name === e.name && s.type === e.type))) {
            throw new Error(`expected ${JSON.stringify(expected)}; saw ${JSON.stringify(seen)}`);
          }
        },
        { timeout: 3_000 },
      );
    },
    async close() {
      abort.abort();
      await done;
    },
  };
}

/** inotify watches the process holds (one "inotify wd:" line per watch in fdinfo). */
const inotifyCount = (pid: number) =>
  readdirSync(`/proc/${pid}/fd`)
    .filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).includes("inotify");
      } catch {
        return false;
      }
    })
    .reduce((n, fd) => n + readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8").split("\n").filter((l) => l.startsWith("inotify wd:")).length, 0);

describe("FilesystemService.WatchDir", () => {
  it("reports create, write, chmod, rename and remove", async () => {
    const dir = join(envd.dir, "w1");
    mkdirSync(dir);
    const w = await openWatch(dir, false);
    writeFileSync(join(dir, "a.txt"), "1");
    await w.expectSeen([{ name: "a.txt", type: FileEventType.FILE_EVENT_TYPE_CREATE }]);
    writeFileSync(join(dir, "a.txt"), "22");
    await w.expectSeen([{ name: "a.txt", type: FileEventType.FILE_EVENT_TYPE_WRITE }]);
    chmodSync(join(dir, "a.txt"), 0o600);
    await w.expectSeen([{ name: "a.txt", type: FileEventType.FILE_EVENT_TYPE_CHMOD }]);
    renameSync(join(dir, "a.txt"), join(dir, "b.txt"));
    await w.expectSeen([
      { name: "a.txt", type: FileEventType.FILE_EVENT_TYPE_RENAME },
      { name: "b.txt", type: FileEventType.FILE_EVENT_TYPE_CREATE },
    ]);
    rmSync(join(dir, "b.txt"));
    await w.expectSeen([{ name: "b.txt", type: FileEventType.FILE_EVENT_TYPE_REMOVE }]);
    expect(w.seen.filter((s) => s.name === "a.txt" && s.type === FileEventType.FILE_EVENT_TYPE_REMOVE)).toEqual([]);
    await w.close();
  });

  it("reports every step of changes made faster than a batch: create, write, move, remove", async () => {
    const dir = join(envd.dir, "w-fast");
    mkdirSync(join(dir, "sub"), { recursive: true });
    const w = await openWatch(dir, true);
    writeFileSync(join(dir, "sub", "a.txt"), "a");
    renameSync(join(dir, "sub", "a.txt"), join(dir, "b.txt"));
    rmSync(join(dir, "b.txt"));
    const steps = [
      { name: "sub/a.txt", type: FileEventType.FILE_EVENT_TYPE_CREATE },
      { name: "sub/a.txt", type: FileEventType.FILE_EVENT_TYPE_WRITE },
      { name: "sub/a.txt", type: FileEventType.FILE_EVENT_TYPE_RENAME },
      { name: "b.txt", type: FileEventType.FILE_EVENT_TYPE_CREATE },
      { name: "b.txt", type: FileEventType.FILE_EVENT_TYPE_REMOVE },
    ];
    await w.expectSeen(steps);
    expect(w.seen).toEqual(steps);
    await w.close();
  });

  it("watches subdirectories, including new ones, only when recursive", async () => {
    const dir = join(envd.dir, "w2");
    mkdirSync(join(dir, "old"), { recursive: true });
    const flat = await openWatch(dir, false);
    const deep = await openWatch(dir, true);
    mkdirSync(join(dir, "new", "deeper"), { recursive: true });
    writeFileSync(join(dir, "new", "deeper", "f"), "x");
    writeFileSync(join(dir, "old", "g"), "x");
    await deep.expectSeen([
      { name: "new", type: FileEventType.FILE_EVENT_TYPE_CREATE },
      { name: "new/deeper/f", type: FileEventType.FILE_EVENT_TYPE_CREATE },
      { name: "old/g", type: FileEventType.FILE_EVENT_TYPE_CREATE },
    ]);
    await flat.expectSeen([{ name: "new", type: FileEventType.FILE_EVENT_TYPE_CREATE }]);
    expect(flat.seen.filter((s) => s.name.includes("/"))).toEqual([]);
    await flat.close();
    await deep.close();
  });

  it("keeps watching a subdirectory that was removed and made again; ends NOT_FOUND when the watched directory goes", async () => {
    const dir = join(envd.dir, "w-again");
    mkdirSync(join(dir, "sub"), { recursive: true });
    const w = await openWatch(dir, true);
    rmSync(join(dir, "sub"), { recursive: true });
    await w.expectSeen([{ name: "sub", type: FileEventType.FILE_EVENT_TYPE_REMOVE }]);
    mkdirSync(join(dir, "sub"));
    await w.expectSeen([{ name: "sub", type: FileEventType.FILE_EVENT_TYPE_CREATE }]);
    writeFileSync(join(dir, "sub", "late.txt"), "x");
    await w.expectSeen([{ name: "sub/late.txt", type: FileEventType.FILE_EVENT_TYPE_CREATE }]);
    expect(w.seen.filter((s) => s.name === "sub/late.txt" && s.type === FileEventType.FILE_EVENT_TYPE_CREATE)).toHaveLength(1);
    await w.close();

    const abort = new AbortController();
    const stream = envd.fs.watchDir({ path: dir, recursive: false }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.started).toBeDefined();
    rmSync(dir, { recursive: true });
    const ending = (async () => {
      for (;;) if ((await stream.next()).done) return;
    })();
    await expect(ending).rejects.toMatchObject({ code: Status.NOT_FOUND, details: expect.stringContaining("removed or moved away") });
  });

  it("refuses a recursive watch of a tree too big to watch, and stays responsive", async () => {
    const t0 = performance.now();
    expect(await statusOf(envd.fs.watchDir({ path: "/", recursive: true }))).toBe(Status.RESOURCE_EXHAUSTED);
    console.log(`recursive watch of / refused after ${Math.round(performance.now() - t0)} ms`);
    expect((await envd.fs.stat({ path: "/" })).entry?.path).toBe("/");
  });

  it("releases the watcher when the caller goes away", async () => {
    const pid = envd.child.pid!;
    // Watches of the earlier tests are gone too once their streams were cancelled.
    await expect.poll(() => inotifyCount(pid), { timeout: 3_000, message: "envd's inotify watches" }).toBe(0);
    const before = 0;
    const dir = join(envd.dir, "w3");
    mkdirSync(join(dir, "sub", "subsub"), { recursive: true });
    const watches = await Promise.all([openWatch(dir, true), openWatch(dir, false)]);
    expect(inotifyCount(pid)).toBeGreaterThan(before);
    for (const w of watches) await w.close();
    await expect.poll(() => inotifyCount(pid), { timeout: 3_000, message: "envd's inotify watches" }).toBe(before);
  });

  it("refuses a missing path and a file precisely", async () => {
    expect(await statusOf(envd.fs.watchDir({ path: join(envd.dir, "missing"), recursive: false }))).toBe(Status.NOT_FOUND);
    writeFileSync(join(envd.dir, "plain"), "x");
    expect(await statusOf(envd.fs.watchDir({ path: join(envd.dir, "plain"), recursive: false }))).toBe(Status.FAILED_PRECONDITION);
    expect(await statusOf(envd.fs.watchDir({ path: "", recursive: false }))).toBe(Status.INVALID_ARGUMENT);
  });
});
