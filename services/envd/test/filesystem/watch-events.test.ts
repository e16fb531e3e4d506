import { describe, expect, test } from "vitest";
import { interpretBatch, type Known, type RawEvent } from "../../src/filesystem/watch-events.js";

const file = (ino: number, extra: Partial<Known> = {}): Known => ({ ino: BigInt(ino), mode: 0o100644n, mtimeNs: 1n, size: 1n, ...extra });
const raw = (...events: [string, "r" | "c"][]): RawEvent[] => events.map(([path, t]) => ({ path, type: t === "r" ? "rename" : "change" }));
const run = (batch: RawEvent[], before: Record<string, Known>, after: Record<string, Known | undefined>) =>
  interpretBatch(batch, new Map(Object.entries(before)), new Map(Object.entries(after))).map((c) => `${c.kind} ${c.path}`);

describe("interpretBatch", () => {
  test("slow single changes: create, write, chmod, ctime-only change, remove", () => {
    expect(run(raw(["a", "r"]), {}, { a: file(1) })).toEqual(["create a"]);
    expect(run(raw(["a", "c"]), { a: file(1) }, { a: file(1, { size: 2n }) })).toEqual(["write a"]);
    expect(run(raw(["a", "c"]), { a: file(1) }, { a: file(1, { mode: 0o100600n }) })).toEqual(["chmod a"]);
    expect(run(raw(["a", "c"]), { a: file(1) }, { a: file(1) })).toEqual([]);
    expect(run(raw(["a", "r"]), { a: file(1) }, { a: undefined })).toEqual(["remove a"]);
  });

  test("a rename pairs by inode: the old path renamed, the new one created", () => {
    expect(run(raw(["a", "r"], ["b", "r"]), { a: file(7) }, { a: undefined, b: file(7) })).toEqual(["rename a", "create b"]);
    // Not a move: a removal and an unrelated create with another inode.
    expect(run(raw(["a", "r"], ["b", "r"]), { a: file(7) }, { a: undefined, b: file(8) })).toEqual(["remove a", "create b"]);
  });

  test("a file that comes and goes within one batch is still reported, in order", () => {
    expect(run(raw(["t", "r"], ["t", "c"], ["t", "r"]), {}, { t: undefined })).toEqual(["create t", "write t", "remove t"]);
    expect(run(raw(["s/a", "r"], ["s/a", "c"], ["s/a", "r"], ["b", "r"], ["b", "r"]), {}, { "s/a": undefined, b: undefined })).toEqual([
      "create s/a",
      "write s/a",
      "rename s/a",
      "create b",
      "remove b",
    ]);
  });

  test("an atomic save (write a temp file, rename it over the target) reports the target's create, not its removal", () => {
    expect(run(raw(["tmp", "r"], ["tmp", "c"], ["tmp", "r"], ["f", "r"]), { f: file(1) }, { tmp: undefined, f: file(2) })).toEqual([
      "create tmp",
      "write tmp",
      "rename tmp",
      "create f",
    ]);
  });

  test("runs of writes collapse; a write then chmod keeps both", () => {
    expect(run(raw(["n", "r"], ["n", "c"], ["n", "c"]), {}, { n: file(3) })).toEqual(["create n", "write n"]);
    expect(run(raw(["a", "c"], ["b", "c"], ["a", "c"]), { a: file(1), b: file(2) }, { a: file(1, { mode: 0o100600n }), b: file(2, { size: 5n }) })).toEqual([
      "write a",
      "write b",
      "chmod a",
    ]);
  });

  test("a path a directory scan already reported is not reported again by its own late event", () => {
    expect(run(raw(["d/f", "r"]), { "d/f": file(9) }, { "d/f": file(9) })).toEqual([]);
  });

  test("a missed event is settled by the state at the end", () => {
    // Only a "change" arrived for a path we never saw: it exists, so it was created.
    expect(run(raw(["x", "c"]), {}, { x: file(4) })).toEqual(["create x"]);
  });
});
