import { Redis } from "ioredis";
import type { Logger } from "@wrenn/shared";
import {
  defaultRedeliverAfterMs,
  parseSandboxEvent,
  type EventBus,
  type EventBusOptions,
  type EventHandler,
  type EventMeta,
  type SandboxEvent,
} from "./event-bus.js";

export interface RedisEventBusOptions extends EventBusOptions {
  url: string;
  /** Stream key; "wrenn:sandbox-events" in production. */
  stream: string;
  logger: Logger;
  /** Approximate cap on the stream's length (XADD MAXLEN ~). */
  maxLength?: number;
  /** How long one XREADGROUP blocks; bounds how late a close is noticed. */
  blockMs?: number;
}

type StreamEntry = [id: string, fields: string[] | null];

/**
 * Redis Streams event bus: XADD to publish, one consumer group per purpose,
 * XREADGROUP BLOCK on a dedicated connection (a blocked connection can't
 * serve anything else), XACK after the handler succeeded, and XAUTOCLAIM to
 * take over entries whose consumer failed or died.
 */
export function createRedisEventBus(options: RedisEventBusOptions): EventBus {
  const { stream, logger } = options;
  const redeliverAfterMs = options.redeliverAfterMs ?? defaultRedeliverAfterMs;
  const maxLength = options.maxLength ?? 100_000;
  const blockMs = options.blockMs ?? 2_000;
  const commands = new Redis(options.url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  commands.on("error", (err) => logger.warn({ err: err.message }, "redis connection error"));
  const subscriptions = new Set<{ close(): Promise<void> }>();

  async function deliver(group: string, handler: EventHandler, entry: StreamEntry, redelivered: boolean): Promise<void> {
    const [id, fields] = entry;
    const json = fields ? fieldValue(fields, "event") : undefined;
    const event = json === undefined ? null : parseSandboxEvent(json);
    if (!event) {
      // A malformed entry can never succeed; acknowledge it so it doesn't loop forever.
      logger.warn({ id, stream }, "dropping malformed event");
      await commands.xack(stream, group, id);
      return;
    }
    const meta: EventMeta = { id, redelivered };
    try {
      await handler(event, meta);
    } catch (err) {
      logger.warn({ err, id, type: event.type }, "event handler failed; the event stays pending");
      return;
    }
    await commands.xack(stream, group, id);
  }

  return {
    async publish(event: SandboxEvent) {
      const id = await commands.xadd(stream, "MAXLEN", "~", maxLength, "*", "event", JSON.stringify(event));
      if (id === null) throw new Error("XADD returned no id");
      return id;
    },

    async consume(group, consumer, handler) {
      try {
        await commands.xgroup("CREATE", stream, group, "$", "MKSTREAM");
      } catch (err) {
        if (!String((err as Error).message).includes("BUSYGROUP")) throw err;
      }
      const blocking = commands.duplicate();
      blocking.on("error", (err) => logger.warn({ err: err.message }, "redis connection error"));
      let stopped = false;
      let lastClaim = 0;

      const claimStale = async () => {
        let cursor = "0-0";
        do {
          const reply = (await blocking.call("XAUTOCLAIM", stream, group, consumer, redeliverAfterMs, cursor, "COUNT", 100)) as [
            string,
            StreamEntry[],
            ...unknown[],
          ];
          cursor = reply[0];
          for (const entry of reply[1]) {
            if (stopped) return;
            await deliver(group, handler, entry, true);
          }
        } while (cursor !== "0-0" && !stopped);
      };

      const loop = (async () => {
        while (!stopped) {
          try {
            // Re-claim on start and then periodically: entries left pending by a
            // crashed consumer or a failed handler get another delivery.
            if (Date.now() - lastClaim >= Math.min(redeliverAfterMs, 5_000)) {
              lastClaim = Date.now();
              await claimStale();
            }
            const wait = Math.min(blockMs, Math.max(10, redeliverAfterMs));
            const reply = (await blocking.call(
              "XREADGROUP", "GROUP", group, consumer, "COUNT", 16, "BLOCK", wait, "STREAMS", stream, ">",
            )) as unknown;
            for (const entry of streamEntries(reply)) await deliver(group, handler, entry, false);
          } catch (err) {
            if (stopped) break;
            logger.warn({ err: (err as Error).message, group }, "event consumer error; retrying");
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      })();

      const subscription = {
        async close() {
          stopped = true;
          // Disconnecting aborts a pending XREADGROUP BLOCK at once.
          blocking.disconnect();
          await loop;
          subscriptions.delete(subscription);
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.close()));
      commands.disconnect();
    },
  };
}

/**
 * XREADGROUP answers [[key, entries], …] over RESP2 and a map over RESP3,
 * which ioredis 6 flattens to [key, entries, …]; accept both.
 */
function streamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (typeof reply[0] === "string" || Buffer.isBuffer(reply[0])) {
    const entries: StreamEntry[] = [];
    for (let i = 1; i < reply.length; i += 2) entries.push(...(reply[i] as StreamEntry[]));
    return entries;
  }
  return (reply as [string, StreamEntry[]][]).flatMap(([, entries]) => entries);
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
