import { describe, expect, it } from "vitest";
import { createEventQueue } from "../../src/process/event-queue.js";

describe("event queue", () => {
  it("pauses the producer past the high mark and resumes it below the low mark, losing nothing", async () => {
    const calls: string[] = [];
    const q = createEventQueue<number>({
      highWaterBytes: 10,
      lowWaterBytes: 4,
      onPause: () => calls.push("pause"),
      onResume: () => calls.push("resume"),
    });
    for (let i = 0; i < 4; i += 1) q.push(i, 4); // 16 bytes > 10
    expect(calls).toEqual(["pause"]);
    expect(q.paused).toBe(true);
    expect(await q.next(10)).toEqual({ item: 0 }); // 12 left
    expect(await q.next(10)).toEqual({ item: 1 }); // 8 left
    expect(calls).toEqual(["pause"]);
    expect(await q.next(10)).toEqual({ item: 2 }); // 4 left → resume
    expect(calls).toEqual(["pause", "resume"]);
    q.close();
    expect(await q.next(10)).toEqual({ item: 3 });
    expect(await q.next(10)).toBe("closed");
  });

  it("reports idleness so the caller can send a keepalive, and wakes on a push", async () => {
    const q = createEventQueue<string>({ highWaterBytes: 100, lowWaterBytes: 10, onPause() {}, onResume() {} });
    expect(await q.next(20)).toBe("timeout");
    setTimeout(() => q.push("late", 1), 10);
    expect(await q.next(1_000)).toEqual({ item: "late" });
  });

  it("takes matching items from the head within a byte budget, resuming a paused producer", () => {
    const calls: string[] = [];
    const q = createEventQueue<string>({
      highWaterBytes: 10,
      lowWaterBytes: 6,
      onPause: () => calls.push("pause"),
      onResume: () => calls.push("resume"),
    });
    for (const s of ["a1", "a2", "a3", "b1", "a4"]) q.push(s, 3);
    expect(calls).toEqual(["pause"]);
    expect(q.takeWhile((s) => s.startsWith("a"), 6)).toEqual(["a1", "a2"]);
    expect(q.takeWhile((s) => s.startsWith("a"), 100)).toEqual(["a3"]);
    expect(calls).toEqual(["pause", "resume"]);
  });
});
