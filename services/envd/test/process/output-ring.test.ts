import { describe, expect, it } from "vitest";
import { createOutputRing } from "../../src/process/output-ring.js";

describe("output ring", () => {
  it("keeps the newest chunks within its capacity, oldest first, and counts what it dropped", () => {
    const ring = createOutputRing<string>(10);
    for (const s of ["aaaa", "bbbb", "cccc", "dd"]) ring.push(s, s.length);
    expect(ring.snapshot()).toEqual({ items: ["bbbb", "cccc", "dd"], droppedBytes: 4 });
    ring.push("eeeeeeeeee", 10);
    expect(ring.snapshot()).toEqual({ items: ["eeeeeeeeee"], droppedBytes: 14 });
  });

  it("stays correct across many drops (compaction)", () => {
    const ring = createOutputRing<number>(100);
    for (let i = 0; i < 10_000; i += 1) ring.push(i, 1);
    const { items, droppedBytes } = ring.snapshot();
    expect(items).toEqual(Array.from({ length: 100 }, (_, i) => 9_900 + i));
    expect(droppedBytes).toBe(9_900);
    expect(ring.bytes).toBe(100);
  });
});
