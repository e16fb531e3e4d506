import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "@wrenn/shared";
import type { EventBus, EventMeta, SandboxEvent } from "../../src/events/event-bus.js";
import { createMemoryEventBus } from "../../src/events/memory-event-bus.js";
import { createRedisEventBus } from "../../src/events/redis-event-bus.js";

const redisUrl = process.env.REDIS_URL;
const redeliverAfterMs = 300;

const implementations: [string, (() => EventBus) | null][] = [
  ["in-process", () => createMemoryEventBus({ redeliverAfterMs })],
  [
    "redis streams",
    redisUrl
      ? () =>
          createRedisEventBus({
            url: redisUrl,
            // A fresh stream per bus keeps runs (and parallel test files) apart.
            stream: `wrenn-test:${randomUUID()}`,
            logger: createLogger("test", { level: "silent" }),
            redeliverAfterMs,
            blockMs: 200,
          })
      : null,
  ],
];

if (!redisUrl) console.warn("REDIS_URL is unset: the Redis Streams event bus tests are skipped");

function event(n: number, type: SandboxEvent["type"] = "sandbox.running"): SandboxEvent {
  return { type, sandboxId: randomUUID(), hostId: null, time: new Date(1_700_000_000_000 + n).toISOString() };
}

async function eventually(check: () => void, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe.each(implementations)("event bus: %s", (_name, make) => {
  let bus: EventBus;
  afterEach(async () => {
    await bus?.close();
  });

  it.skipIf(!make)("delivers published events in order with every field intact", async () => {
    bus = make!();
    const seen: SandboxEvent[] = [];
    await bus.consume("appliers", "c1", async (e) => {
      seen.push(e);
    });
    const sent = [event(1), { ...event(2, "sandbox.error"), hostId: randomUUID(), error: "boot failed" }, event(3, "sandbox.stopped")];
    for (const e of sent) await bus.publish(e);
    await eventually(() => expect(seen).toEqual(sent));
  });

  it.skipIf(!make)("gives every group each event, and each event to one consumer within a group", async () => {
    bus = make!();
    const groupA: string[] = [];
    const groupB: string[] = [];
    const slow = (sink: string[]) => async (e: SandboxEvent) => {
      sink.push(e.sandboxId);
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await bus.consume("a", "a1", slow(groupA));
    await bus.consume("a", "a2", slow(groupA));
    await bus.consume("b", "b1", slow(groupB));
    const sent = Array.from({ length: 20 }, (_, i) => event(i));
    for (const e of sent) await bus.publish(e);
    const ids = sent.map((e) => e.sandboxId).sort();
    await eventually(() => {
      expect([...groupA].sort()).toEqual(ids);
      expect([...groupB].sort()).toEqual(ids);
    });
    // Let any wrongful duplicate arrive before asserting there is none.
    await new Promise((resolve) => setTimeout(resolve, redeliverAfterMs * 2));
    expect(groupA).toHaveLength(20);
    expect(groupB).toHaveLength(20);
  });

  it.skipIf(!make)("redelivers an event whose handler failed, then stops once it succeeds", async () => {
    bus = make!();
    const deliveries: EventMeta[] = [];
    await bus.consume("appliers", "c1", async (_e, meta) => {
      deliveries.push(meta);
      if (deliveries.length === 1) throw new Error("database briefly down");
    });
    const id = await bus.publish(event(1));
    await eventually(() => expect(deliveries).toHaveLength(2));
    expect(deliveries.map((d) => d.id)).toEqual([id, id]);
    expect(deliveries.map((d) => d.redelivered)).toEqual([false, true]);
    await new Promise((resolve) => setTimeout(resolve, redeliverAfterMs * 3));
    expect(deliveries).toHaveLength(2);
  });

  it.skipIf(!make)("hands an unacknowledged event to another consumer after its consumer went away", async () => {
    bus = make!();
    const first: string[] = [];
    const sub = await bus.consume("appliers", "dies", async (e) => {
      first.push(e.sandboxId);
      throw new Error("crashed before acknowledging");
    });
    const sent = event(1);
    await bus.publish(sent);
    await eventually(() => expect(first).toContain(sent.sandboxId));
    await sub.close();

    const second: SandboxEvent[] = [];
    await bus.consume("appliers", "survivor", async (e) => {
      second.push(e);
    });
    await eventually(() => expect(second).toEqual([sent]));
  });
});
