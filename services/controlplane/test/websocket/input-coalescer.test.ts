import { describe, expect, it } from "vitest";
import { createInputCoalescer } from "../../src/websocket/input-coalescer.js";

/** Takes every batch until the coalescer ends. */
async function drain(batches: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

describe("input coalescer", () => {
  it("sends keystrokes of one burst as one message, in order", async () => {
    const input = createInputCoalescer({ windowMs: 20, onFull() {}, onRoom() {} });
    for (const key of "ls -la\n") input.push(Buffer.from(key));
    const first = await input.batches[Symbol.asyncIterator]().next();
    expect(first.value?.toString()).toBe("ls -la\n");
  });

  it("cuts a paste into batches of at most maxBatchBytes, losing nothing", async () => {
    const input = createInputCoalescer({ windowMs: 1_000, maxBatchBytes: 10, onFull() {}, onRoom() {} });
    const text = "abcdefghijklmnopqrstuvwxyz0123456789";
    input.push(Buffer.from(text.slice(0, 7)));
    input.push(Buffer.from(text.slice(7)));
    input.end();
    const batches = await drain(input.batches);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 10, 6]);
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
