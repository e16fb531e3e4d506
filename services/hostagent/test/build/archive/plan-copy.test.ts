import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArchiveError, openBuildArchive, planCopy, type BuildArchive, type CopyPlan } from "../../../src/build/archive/build-archive.js";
import { makeTree, scratch, tarOf } from "./archive-fixtures.js";

let archive: BuildArchive;
let cleanup: () => void;

beforeAll(async () => {
  const s = scratch();
  cleanup = s.cleanup;
  archive = await openBuildArchive(tarOf(makeTree(s.dir), join(s.dir, "a.tar.gz"), true));
});
afterAll(async () => {
  await archive.close();
  cleanup();
});

const targets = (plan: CopyPlan) => plan.items.map((i) => [i.target, i.entry.type]);
const workdir = "/home/wrenn-user";

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ArchiveError);
    return (err as Error).message;
  }
  throw new Error("planCopy accepted it");
}

describe("planCopy", () => {
  it("copies a directory's contents (not the directory) to the destination, resolved against workdir", () => {
    expect(targets(planCopy(archive, ["app/"], "srv", workdir))).toEqual([
      ["/home/wrenn-user/srv", "dir"],
      ["/home/wrenn-user/srv/lib", "dir"],
      ["/home/wrenn-user/srv/lib/util.txt", "file"],
      ["/home/wrenn-user/srv/server.sh", "file"],
      ["/home/wrenn-user/srv/util-link", "symlink"],
    ]);
  });

  it("puts a file at the destination, or inside it when the destination ends with /", () => {
    expect(targets(planCopy(archive, ["config.json"], "/etc/app.conf", workdir))).toEqual([["/etc/app.conf", "file"]]);
    expect(targets(planCopy(archive, ["./config.json"], "/etc/app/", workdir))).toEqual([["/etc/app/config.json", "file"]]);
    expect(targets(planCopy(archive, ["config.json"], ".", "/srv"))).toEqual([["/srv/config.json", "file"]]);
  });

  it("treats the destination as a directory for several sources, files and directories mixed", () => {
    const plan = planCopy(archive, ["config.json", "notes two.txt", "app/lib"], "/opt/x", workdir);
    expect(targets(plan)).toEqual([
      ["/opt/x", "dir"],
      ["/opt/x/config.json", "file"],
      ["/opt/x/notes two.txt", "file"],
      ["/opt/x/util.txt", "file"],
    ]);
  });

  it("expands * and ? within one path segment", () => {
    expect(targets(planCopy(archive, ["*.json", "app/*.sh"], "/d/", workdir))).toEqual([
      ["/d/config.json", "file"],
      ["/d/server.sh", "file"],
    ]);
    expect(targets(planCopy(archive, ["notes????.txt"], "/d/", workdir))).toEqual([["/d/notes two.txt", "file"]]);
  });

  it("copies the whole archive for the source .", () => {
    const plan = planCopy(archive, ["."], "/w", workdir);
    expect(plan.items[0]).toMatchObject({ target: "/w", entry: { type: "dir" } });
    expect(plan.items.map((i) => i.target)).toContain("/w/app/lib/util.txt");
    expect(plan.items).toHaveLength(9);
  });

  it("hashes what lands where: the same copy hashes the same, another destination or source differently", () => {
    const a = planCopy(archive, ["app"], "/srv/", workdir).sha256;
    expect(planCopy(archive, ["./app/"], "/srv", workdir).sha256).toBe(a);
    expect(planCopy(archive, ["app"], "/srv2/", workdir).sha256).not.toBe(a);
    expect(planCopy(archive, ["app/lib"], "/srv/", workdir).sha256).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses sources that match nothing or leave the archive, and a COPY without an archive", () => {
    expect(refusal(() => planCopy(archive, ["missing.txt"], "/x", workdir))).toBe('COPY source "missing.txt" matches nothing in the archive');
    expect(refusal(() => planCopy(archive, ["*.nope"], "/x/", workdir))).toMatch(/"\*\.nope" matches nothing/);
    expect(refusal(() => planCopy(archive, ["../etc/passwd"], "/x", workdir))).toMatch(/"..\/etc\/passwd" leads outside the archive/);
    expect(refusal(() => planCopy(archive, ["/etc/passwd"], "/x", workdir))).toMatch(/"\/etc\/passwd" is absolute/);
    expect(refusal(() => planCopy(undefined, ["a"], "/x", workdir))).toMatch(/COPY needs an archive/);
  });
});
