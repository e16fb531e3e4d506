import { describe, expect, it } from "vitest";
import { withKeepalives } from "../../../src/e2b/envd/process-keepalive.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

// Keepalives while a stream is quiet, and only then; nothing lost or reordered.
describe("withKeepalives", () => {
  it("adds keepalives during a quiet stretch and keeps every item in order", async () => {
    async function* source() {
      yield "a";
      await sleep(170);
      yield "b";
      yield "c";
    }
    const items = await collect(withKeepalives(source(), 50, () => "ka"));
    expect(items.filter((i) => i !== "ka")).toEqual(["a", "b", "c"]);
    const keepalives = items.filter((i) => i === "ka").length;
    expect(keepalives).toBeGreaterThanOrEqual(2);
    expect(keepalives).toBeLessThanOrEqual(4);
    expect(items.indexOf("ka")).toBeGreaterThan(items.indexOf("a"));
    expect(items.lastIndexOf("ka")).toBeLessThan(items.indexOf("b"));
  });

  it("adds none to a stream that is never quiet that long", async () => {
    async function* source() {
      for (let i = 0; i < 5; i++) {
        await sleep(5);
        yield i;
      }
    }
    expect(await collect(withKeepalives(source(), 200, () => -1))).toEqual([0, 1, 2, 3, 4]);
  });

  it("passes the source's error on", async () => {
    async function* source(): AsyncGenerator<string> {
      yield "a";
      await sleep(10);
      throw new Error("gone");
    }
    await expect(collect(withKeepalives(source(), 1_000, () => "ka"))).rejects.toThrow("gone");
  });

  it("ends the source when the consumer leaves", async () => {
    let ended = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) {
          yield i;
          await sleep(1);
        }
      } finally {
        ended = true;
      }
    }
    for await (const item of withKeepalives(source(), 1_000, () => -1)) if (item === 2) break;
    await expect.poll(() => ended).toBe(true);
  });
});
