import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArchiveError, openBuildArchive, type BuildArchive } from "../../../src/build/archive/build-archive.js";
import { handTar, handZip, makeTree, read, scratch, sha256, tarOf, zipOf } from "./archive-fixtures.js";

let dir: string;
let cleanup: () => void;
const opened: BuildArchive[] = [];

beforeEach(() => {
  ({ dir, cleanup } = scratch());
});
afterEach(async () => {
  for (const a of opened.splice(0)) {
    await a.close();
  }
  cleanup();
});

async function openIt(path: string): Promise<BuildArchive> {
  const archive = await openBuildArchive(path);
  opened.push(archive);
  return archive;
}

async function refusal(path: string): Promise<string> {
  const err = await openBuildArchive(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArchiveError);
  return (err as Error).message;
}

describe("openBuildArchive", () => {
  const formats = [
    ["tar", (src: string) => tarOf(src, join(dir, "a.tar"))],
    ["tar.gz", (src: string) => tarOf(src, join(dir, "a.tar.gz"), true)],
    ["zip", (src: string) => zipOf(src, join(dir, "a.zip"))],
  ] as const;

  for (const [format, make] of formats) {
    it(`reads a ${format} made by the real tool: entries, modes, hashes, contents`, async () => {
      const src = makeTree(dir);
      const path = make(src);
      const archive = await openIt(path);
      expect(archive.sha256).toBe(sha256(read(path)));
      expect(archive.bytes).toBe(read(path).length);
      const byPath = new Map(archive.entries().map((e) => [e.path, e]));
      expect([...byPath.keys()].sort()).toEqual(
        ["app", "app/lib", "app/lib/util.txt", "app/server.sh", "app/util-link", "big.bin", "config.json", "notes two.txt"].sort(),
      );
      expect(byPath.get("app")).toMatchObject({ type: "dir" });
      expect(byPath.get("app/server.sh")).toMatchObject({ type: "file", mode: 0o755, size: 18, sha256: sha256("#!/bin/sh\necho hi\n") });
      expect(byPath.get("app/util-link")).toMatchObject({ type: "symlink", linkTarget: "lib/util.txt" });
      const big = byPath.get("big.bin");
      expect(big).toMatchObject({ type: "file", size: 3 * 1024 * 1024 + 17, sha256: sha256(read(join(src, "big.bin"))) });
      // Parents come before children.
      const order = archive.entries().map((e) => e.path);
      expect(order.indexOf("app")).toBeLessThan(order.indexOf("app/lib/util.txt"));
      expect(await text(archive.read(byPath.get("config.json")!))).toBe('{"port":8080}\n');
      expect(await text(archive.read(byPath.get("notes two.txt")!))).toBe("spaced\n");
      const chunks: Buffer[] = [];
      for await (const chunk of archive.read(big!)) {
        chunks.push(chunk as Buffer);
      }
      expect(sha256(Buffer.concat(chunks))).toBe(big!.sha256);
    });
  }

  it("refuses a file that is no archive, and an empty file", async () => {
    writeFileSync(join(dir, "x"), "hello, not an archive at all\n");
    expect(await refusal(join(dir, "x"))).toBe("the archive is not a tar, tar.gz or zip file");
    writeFileSync(join(dir, "empty"), "");
    expect(await refusal(join(dir, "empty"))).toBe("the archive is not a tar, tar.gz or zip file");
  });

  it("refuses a truncated tar.gz and a corrupt tar", async () => {
    const gz = handTar([{ name: "a.txt", content: "x".repeat(5000) }], true);
    writeFileSync(join(dir, "t.tar.gz"), gz.subarray(0, gz.length - 10));
    expect(await refusal(join(dir, "t.tar.gz"))).toMatch(/^the tar.gz archive is corrupt/);
    const tar = handTar([{ name: "a.txt", content: "x" }, { name: "b.txt", content: "y" }]);
    tar[1024 + 10] ^= 0xff; // inside the second header: its checksum no longer matches
    writeFileSync(join(dir, "c.tar"), tar);
    expect(await refusal(join(dir, "c.tar"))).toMatch(/^the tar archive is corrupt \(bad header at byte 1024\)/);
  });

  const escapes: [string, Parameters<typeof handTar>[0], RegExp][] = [
    ["a .. path", [{ name: "ok/../../evil", content: "x" }], /entry "ok\/..\/..\/evil" leads outside the archive/],
    ["an absolute path", [{ name: "/etc/passwd", content: "x" }], /entry "\/etc\/passwd" has an absolute path/],
    ["a symlink leading out", [{ name: "a/link", type: "2", link: "../../etc/shadow" }], /entry "a\/link" is a symlink leading outside the archive/],
    ["an absolute symlink", [{ name: "link", type: "2", link: "/etc" }], /entry "link" is a symlink to an absolute path/],
    ["a hard link to nothing in the archive", [{ name: "h", type: "1", link: "etc/passwd" }], /entry "h" is a hard link to "etc\/passwd", which is not a file earlier/],
    ["a device", [{ name: "dev/sda", type: "3" }], /entry "dev\/sda" is a device/],
    ["a fifo", [{ name: "pipe", type: "6" }], /entry "pipe" is a fifo/],
    ["an entry under a symlink", [{ name: "l", type: "2", link: "." }, { name: "l/x", content: "x" }], /entry "l\/x" lies under "l", which is a symlink/],
  ];
  for (const [what, members, message] of escapes) {
    it(`refuses ${what}, naming the entry (tar and tar.gz)`, async () => {
      writeFileSync(join(dir, "e.tar"), handTar(members));
      expect(await refusal(join(dir, "e.tar"))).toMatch(message);
      writeFileSync(join(dir, "e.tgz"), handTar(members, true));
      expect(await refusal(join(dir, "e.tgz"))).toMatch(message);
    });
  }

  it("refuses escaping names in a zip", async () => {
    expect(await refusal(handZip(join(dir, "a.zip"), "../evil.sh", "x"))).toMatch(/entry "..\/evil.sh" leads outside the archive/);
    expect(await refusal(handZip(join(dir, "b.zip"), "/abs.sh", "x"))).toMatch(/entry "\/abs.sh" has an absolute path/);
  });

  it("resolves a hard link to an earlier file, and lets a later member replace an earlier one", async () => {
    writeFileSync(
      join(dir, "h.tar"),
      handTar([
        { name: "./a.txt", content: "first" },
        { name: "b.txt", type: "1", link: "a.txt" },
        { name: "a.txt", content: "second" },
      ]),
    );
    const archive = await openIt(join(dir, "h.tar"));
    const byPath = new Map(archive.entries().map((e) => [e.path, e]));
    expect(byPath.get("b.txt")).toMatchObject({ type: "file", size: 5, sha256: sha256("first") });
    expect(await text(archive.read(byPath.get("b.txt")!))).toBe("first");
    expect(await text(archive.read(byPath.get("a.txt")!))).toBe("second");
  });

  it("leaves nothing beside a tar.gz once closed, or when opening it fails", async () => {
    const good = join(dir, "g.tar.gz");
    writeFileSync(good, handTar([{ name: "a.txt", content: "a" }], true));
    const archive = await openBuildArchive(good);
    expect(readdirSync(dir).sort()).toEqual(["g.tar.gz", "g.tar.gz.unpacked.tar"]);
    await archive.close();
    expect(readdirSync(dir)).toEqual(["g.tar.gz"]);
    const bad = join(dir, "b.tar.gz");
    writeFileSync(bad, handTar([{ name: "../x", content: "a" }], true));
    await refusal(bad);
    expect(readdirSync(dir).sort()).toEqual(["b.tar.gz", "g.tar.gz"]);
  });

  it("adds parent directories an archive leaves out", async () => {
    writeFileSync(join(dir, "p.tar.gz"), handTar([{ name: "deep/er/file.txt", content: "z" }], true));
    const archive = await openIt(join(dir, "p.tar.gz"));
    expect(archive.entries().map((e) => [e.path, e.type])).toEqual([
      ["deep", "dir"],
      ["deep/er", "dir"],
      ["deep/er/file.txt", "file"],
    ]);
  });
});
