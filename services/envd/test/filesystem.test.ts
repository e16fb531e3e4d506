import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClientError, Status } from "nice-grpc";
import { FileType } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import type { WriteFileRequest } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEnvd, type RunningEnvd } from "./harness.js";

let envd: RunningEnvd;
let root: string;
beforeAll(async () => {
  envd = await startEnvd();
  root = join(envd.dir, "files");
  mkdirSync(root);
  // Let other users reach the test tree (mkdtemp makes it 0700).
  chmodSync(envd.dir, 0o755);
  chmodSync(root, 0o755);
});
afterAll(async () => {
  await envd?.stop();
});

async function* chunksOf(data: Buffer, path: string, size: number, user?: string): AsyncGenerator<Partial<WriteFileRequest>> {
  for (let offset = 0; offset < data.length || offset === 0; offset += size) {
    yield offset === 0 ? { path, user, data: data.subarray(0, size) } : { data: data.subarray(offset, offset + size) };
    if (data.length === 0) return;
  }
}

async function readAll(path: string, user?: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const { data } of envd.fs.readFile({ path, user })) parts.push(data);
  return Buffer.concat(parts);
}

async function failure(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("FilesystemService", () => {
  it("writes 5 MB in chunks (creating parents) and reads it back identical", async () => {
    const content = randomBytes(5 * 1024 * 1024 + 123);
    const path = join(root, "deep/er/data.bin");
    const written = await envd.fs.writeFile(chunksOf(content, path, 100_000));
    expect(written.entry).toMatchObject({ path, name: "data.bin", type: FileType.FILE_TYPE_FILE, size: content.length, mode: 0o644, owner: "root" });
    const back = await readAll(path);
    expect(back.length).toBe(content.length);
    expect(sha(back)).toBe(sha(content));
    // Nothing but the file is left in its directory (no temp files).
    expect(readdirSync(join(root, "deep/er"))).toEqual(["data.bin"]);
  });

  it("stats files, directories and symlinks; a missing path is NOT_FOUND", async () => {
    const dir = join(root, "stat");
    mkdirSync(dir);
    writeFileSync(join(dir, "f.txt"), "12345");
    execFileSync("ln", ["-s", "f.txt", join(dir, "link")]);
    const file = await envd.fs.stat({ path: join(dir, "f.txt") });
    expect(file.entry).toMatchObject({ type: FileType.FILE_TYPE_FILE, size: 5, owner: "root", group: "root" });
    expect(Math.abs(file.entry!.modifiedAt!.getTime() - statSync(join(dir, "f.txt")).mtimeMs)).toBeLessThan(2);
    const link = await envd.fs.stat({ path: join(dir, "link") });
    expect(link.entry).toMatchObject({ type: FileType.FILE_TYPE_SYMLINK, symlinkTarget: "f.txt" });
    expect((await envd.fs.stat({ path: dir })).entry?.type).toBe(FileType.FILE_TYPE_DIRECTORY);
    // Relative paths resolve against the acting user's home.
    expect((await envd.fs.stat({ path: "." })).entry?.path).toBe("/root");

    const missing = await failure(envd.fs.stat({ path: join(dir, "nope") }));
    expect(missing.code).toBe(Status.NOT_FOUND);
    expect(missing.details).toContain(join(dir, "nope"));
  });

  it("lists a directory to the requested depth, sorted", async () => {
    const dir = join(root, "tree");
    mkdirSync(join(dir, "b/inner/innermost"), { recursive: true });
    writeFileSync(join(dir, "c.txt"), "c");
    writeFileSync(join(dir, "a.txt"), "a");
    writeFileSync(join(dir, "b/inner/x.txt"), "x");
    const names = async (depth: number) =>
      (await envd.fs.listDir({ path: dir, depth })).entries.map((e) => e.path.slice(dir.length + 1));
    expect(await names(0)).toEqual(["a.txt", "b", "c.txt"]);
    expect(await names(1)).toEqual(["a.txt", "b", "c.txt"]);
    expect(await names(2)).toEqual(["a.txt", "b", "b/inner", "c.txt"]);
    expect(await names(5)).toEqual(["a.txt", "b", "b/inner", "b/inner/innermost", "b/inner/x.txt", "c.txt"]);
    expect((await failure(envd.fs.listDir({ path: join(dir, "none") }))).code).toBe(Status.NOT_FOUND);
    expect((await failure(envd.fs.listDir({ path: join(dir, "a.txt") }))).code).toBe(Status.FAILED_PRECONDITION);
  });

  it("makes directories with -p semantics and reports existing ones", async () => {
    const path = join(root, "mk/one/two");
    const made = await envd.fs.makeDir({ path });
    expect(made.entry).toMatchObject({ path, type: FileType.FILE_TYPE_DIRECTORY });
    expect(statSync(path).isDirectory()).toBe(true);

    const again = await failure(envd.fs.makeDir({ path }));
    expect(again.code).toBe(Status.ALREADY_EXISTS);
    await envd.fs.makeDir({ path, existOk: true });

    writeFileSync(join(root, "mk/file"), "x");
    expect((await failure(envd.fs.makeDir({ path: join(root, "mk/file"), existOk: true }))).code).toBe(Status.ALREADY_EXISTS);
    expect((await failure(envd.fs.makeDir({ path: join(root, "mk/file/sub") }))).code).toBe(Status.FAILED_PRECONDITION);
  });

  it("moves and removes; missing sources are NOT_FOUND", async () => {
    const dir = join(root, "mv");
    mkdirSync(join(dir, "src/sub"), { recursive: true });
    writeFileSync(join(dir, "src/sub/f"), "payload");
    const moved = await envd.fs.move({ source: join(dir, "src"), destination: join(dir, "dst") });
    expect(moved.entry).toMatchObject({ path: join(dir, "dst"), type: FileType.FILE_TYPE_DIRECTORY });
    expect(existsSync(join(dir, "src"))).toBe(false);
    expect((await readAll(join(dir, "dst/sub/f"))).toString()).toBe("payload");
    expect((await failure(envd.fs.move({ source: join(dir, "src"), destination: join(dir, "x") }))).code).toBe(Status.NOT_FOUND);

    await envd.fs.remove({ path: join(dir, "dst") });
    expect(existsSync(join(dir, "dst"))).toBe(false);
    const gone = await failure(envd.fs.remove({ path: join(dir, "dst") }));
    expect(gone.code).toBe(Status.NOT_FOUND);
  });

  it("refuses /dev/zero and a FIFO promptly instead of streaming or blocking", async () => {
    for (const path of ["/dev/zero", join(root, "fifo")]) {
      if (path.endsWith("fifo")) execFileSync("mkfifo", [path]);
      const started = Date.now();
      const err = await failure(readAll(path));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(err.code).toBe(Status.FAILED_PRECONDITION);
      expect(err.details).toContain("not a regular file");
    }
    expect((await failure(readAll(root))).code).toBe(Status.FAILED_PRECONDITION);
    expect((await failure(readAll(join(root, "missing")))).code).toBe(Status.NOT_FOUND);
  });

  it("gives files written for another user to that user, and applies that user's rights", async () => {
    const nobodyDir = join(root, "nobody-owned");
    mkdirSync(nobodyDir);
    chownSync(nobodyDir, 65534, 65534);
    const path = join(nobodyDir, "sub/note.txt");
    const res = await envd.fs.writeFile(chunksOf(Buffer.from("hi"), path, 1024, "nobody"));
    expect(res.entry).toMatchObject({ owner: "nobody", group: "nogroup" });
    expect(statSync(path).uid).toBe(65534);
    expect(statSync(join(nobodyDir, "sub")).uid).toBe(65534);
    // Even where root writes the directory, the file goes to the user asked for.
    const made = await envd.fs.makeDir({ path: join(nobodyDir, "made"), user: "nobody" });
    expect(made.entry?.owner).toBe("nobody");

    const secret = join(root, "secret.txt");
    writeFileSync(secret, "root only", { mode: 0o600 });
    const denied = await failure(readAll(secret, "nobody"));
    expect(denied.code).toBe(Status.PERMISSION_DENIED);
    expect((await readAll(secret)).toString()).toBe("root only");

    const rootDir = join(root, "root-dir");
    mkdirSync(rootDir, { mode: 0o755 });
    const write = await failure(envd.fs.writeFile(chunksOf(Buffer.from("x"), join(rootDir, "f"), 1024, "nobody")));
    expect(write.code).toBe(Status.PERMISSION_DENIED);
    expect(readdirSync(rootDir)).toEqual([]);

    expect((await failure(envd.fs.stat({ path: "/", user: "no-such-user" }))).code).toBe(Status.INVALID_ARGUMENT);
  });

  it("leaves no file behind when an upload is cancelled", async () => {
    const dir = join(root, "cancelled");
    mkdirSync(dir);
    const abort = new AbortController();
    async function* slowUpload(): AsyncGenerator<Partial<WriteFileRequest>> {
      yield { path: join(dir, "partial.bin"), data: randomBytes(64 * 1024) };
      yield { data: randomBytes(64 * 1024) };
      await new Promise((r) => setTimeout(r, 300));
      abort.abort();
      await new Promise((r) => setTimeout(r, 10_000));
    }
    await expect(envd.fs.writeFile(slowUpload(), { signal: abort.signal })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(dir)).toEqual([]);
  });
});
