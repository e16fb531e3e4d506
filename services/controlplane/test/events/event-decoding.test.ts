import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger, toWireId } from "@wrenn/shared";
import { parseSandboxEvent, type SandboxEvent } from "../../src/events/event-bus.js";
import { createRedisEventBus } from "../../src/events/redis-event-bus.js";
import type { Database } from "../../src/db/database.js";
import { applyOutcome } from "../../src/lifecycle/apply-outcome.js";
import type { SandboxStore } from "../../src/lifecycle/sandbox-store.js";
import { openTestDatabaseWithHost, testDatabaseUrl } from "../support/test-database.js";

// Events carry UUIDs now; controlplanes from before published wire ids
// ("sb-…", "host-…"). Entries of theirs can still be in the stream (a rolling
// upgrade, a stream kept across one), and their outcomes must still land.

const time = "2026-01-01T00:00:00.000Z";
const json = (fields: Record<string, unknown>) => JSON.stringify({ type: "sandbox.running", time, ...fields });

describe("decoding a stream entry's ids", () => {
  const sandbox = randomUUID();
  const host = randomUUID();

  it("reads a UUID as it is", () => {
    expect(parseSandboxEvent(json({ sandboxId: sandbox, hostId: host }))).toMatchObject({ sandboxId: sandbox, hostId: host });
  });

  it("reads an older controlplane's wire ids as the same UUIDs", () => {
    const event = parseSandboxEvent(json({ sandboxId: toWireId("sb", sandbox), hostId: toWireId("host", host) }));
    expect(event).toMatchObject({ sandboxId: sandbox, hostId: host });
  });

  it("reads an upper-case UUID as the lower-case one the database keeps", () => {
    expect(parseSandboxEvent(json({ sandboxId: sandbox.toUpperCase() }))?.sandboxId).toBe(sandbox);
  });

  it.each([["sb-nope"], [`tpl-${sandbox.replace(/-/g, "")}`], [""], [42], [null]])("refuses sandbox id %j (nothing it could ever apply to)", (id) => {
    expect(parseSandboxEvent(json({ sandboxId: id }))).toBeNull();
  });

  it("keeps an event whose host id is unreadable, without the host id (it only says where it happened)", () => {
    expect(parseSandboxEvent(json({ sandboxId: sandbox, hostId: "host-nope" }))).toMatchObject({ sandboxId: sandbox, hostId: null });
  });
});

const redisUrl = process.env.REDIS_URL;

describe.skipIf(!redisUrl || !testDatabaseUrl)("an older controlplane's outcome in the Redis stream", () => {
  let db: Database;
  let sandboxes: SandboxStore;
  let hostId: string;
  let teamId: string;
  let redis: Redis;

  beforeAll(async () => {
    ({ db, sandboxes, hostId, teamId } = await openTestDatabaseWithHost());
    redis = new Redis(redisUrl!);
  });
  afterAll(async () => {
    redis?.disconnect();
    await db?.close();
  });

  it("is applied to the sandbox, and an entry naming no sandbox is dropped (acknowledged), not redelivered forever", async () => {
    const id = randomUUID();
    await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    const stream = `wrenn-test:${randomUUID()}`;
    const bus = createRedisEventBus({ url: redisUrl!, stream, logger: createLogger("test", { level: "silent" }), redeliverAfterMs: 300, blockMs: 200 });
    const handled: SandboxEvent[] = [];
    try {
      await bus.consume("appliers", "c1", async (event) => {
        handled.push(event);
        await applyOutcome(sandboxes, event);
      });
      // Written the way a controlplane before the change wrote them.
      await redis.xadd(stream, "*", "event", json({ sandboxId: "sb-nope", hostId: null }));
      await redis.xadd(stream, "*", "event", json({ sandboxId: toWireId("sb", id), hostId: toWireId("host", hostId) }));

      await vi.waitFor(async () => expect((await sandboxes.get(id))?.status).toBe("running"), { timeout: 10_000, interval: 50 });
      expect(handled.map((e) => e.sandboxId)).toEqual([id]);
      expect(handled[0]!.hostId).toBe(hostId);
      // Both entries acknowledged: none left pending for the group.
      await vi.waitFor(async () => expect(((await redis.xpending(stream, "appliers")) as [number])[0]).toBe(0), { timeout: 5_000, interval: 50 });
    } finally {
      await bus.close();
      await redis.del(stream);
    }
  });
});
