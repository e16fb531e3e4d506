import { describe, expect, it } from "vitest";
import { createInputCoalescer } from "../../src/websocket/input-coalescer.js";

/** Takes every batch until the coalescer ends. */
async function drain(batches: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

describe("input coalescer", () => {
  it("sends a lone keystroke at once and the keys right behind it as one message, in order", async () => {
    const input = createInputCoalescer({ windowMs: 1_000, onFull() {}, onRoom() {} });
    for (const key of "ls -la\n") input.push(Buffer.from(key));
    const batches = input.batches[Symbol.asyncIterator]();
    expect((await batches.next()).value?.toString()).toBe("l");
    input.end();
    expect((await batches.next()).value?.toString()).toBe("s -la\n");
  });

  it("holds keys that come within the window until it passes", async () => {
    const input = createInputCoalescer({ windowMs: 20, onFull() {}, onRoom() {} });
    input.push(Buffer.from("a"));
    input.push(Buffer.from("b"));
    input.push(Buffer.from("c"));
    const batches = input.batches[Symbol.asyncIterator]();
    expect((await batches.next()).value?.toString()).toBe("a");
    // No end(): only the window's timer lets "bc" go.
    expect((await batches.next()).value?.toString()).toBe("bc");
  });

  it("cuts a paste into batches of at most maxBatchBytes, losing nothing", async () => {
    const input = createInputCoalescer({ windowMs: 1_000, maxBatchBytes: 10, onFull() {}, onRoom() {} });
    const text = "abcdefghijklmnopqrstuvwxyz0123456789";
    input.push(Buffer.from(text.slice(0, 7)));
    input.push(Buffer.from(text.slice(7)));
    input.end();
    const batches = await drain(input.batches);
    // The first piece after a quiet spell goes alone; the rest is cut at 10 bytes.
    expect(batches.map((b) => b.length)).toEqual([7, 10, 10, 9]);
    expect(Buffer.concat(batches).toString()).toBe(text);
  });

  it("asks the client to stop past maxHeldBytes and to go on once half is taken", async () => {
    const events: string[] = [];
    const input = createInputCoalescer({ windowMs: 1, maxBatchBytes: 4, maxHeldBytes: 8, onFull: () => events.push("full"), onRoom: () => events.push("room") });
    input.push(Buffer.alloc(12, 1));
    expect(events).toEqual(["full"]);
    const batches = input.batches[Symbol.asyncIterator]();
    await batches.next();
    expect(events).toEqual(["full"]);
    await batches.next();
    expect(events).toEqual(["full", "room"]);
  });
});
