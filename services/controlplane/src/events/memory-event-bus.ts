import { defaultRedeliverAfterMs, type EventBus, type EventBusOptions, type EventHandler, type SandboxEvent } from "./event-bus.js";

interface Entry {
  id: string;
  event: SandboxEvent;
}

interface Pending {
  entry: Entry;
  consumer: string;
  since: number;
  deliveries: number;
}

interface Group {
  /** Entries not yet delivered to any consumer of the group. */
  fresh: Entry[];
  /** Delivered, not yet acknowledged (Redis's pending entries list). */
  pending: Map<string, Pending>;
  wake: Set<() => void>;
}

/**
 * The single-process event bus, with the same semantics as the Redis Streams
 * one: consumer groups, one consumer per event within a group, acknowledge on
 * success, and redelivery of unacknowledged events after a delay.
 */
export function createMemoryEventBus(options: EventBusOptions = {}): EventBus {
  const redeliverAfterMs = options.redeliverAfterMs ?? defaultRedeliverAfterMs;
  const groups = new Map<string, Group>();
  const subscriptions = new Set<{ close(): Promise<void> }>();
  let sequence = 0;
  let closed = false;

  function wakeAll(group: Group): void {
    for (const wake of group.wake) wake();
  }

  /** Takes the next fresh entry, or else one whose delivery went unacknowledged too long. */
  function claim(group: Group, consumer: string): Pending | null {
    const fresh = group.fresh.shift();
    if (fresh) {
      const pending = { entry: fresh, consumer, since: Date.now(), deliveries: 1 };
      group.pending.set(fresh.id, pending);
      return pending;
    }
    const now = Date.now();
    for (const pending of group.pending.values()) {
      if (now - pending.since >= redeliverAfterMs) {
        pending.consumer = consumer;
        pending.since = now;
        pending.deliveries += 1;
        return pending;
      }
    }
    return null;
  }

  return {
    async publish(event) {
      if (closed) throw new Error("event bus is closed");
      const entry: Entry = { id: `${Date.now()}-${sequence++}`, event: structuredClone(event) };
      for (const group of groups.values()) {
        group.fresh.push(entry);
        wakeAll(group);
      }
      return entry.id;
    },

    async consume(groupName: string, consumer: string, handler: EventHandler) {
      if (closed) throw new Error("event bus is closed");
      let group = groups.get(groupName);
      if (!group) {
        group = { fresh: [], pending: new Map(), wake: new Set() };
        groups.set(groupName, group);
      }
      const g = group;
      let stopped = false;
      let wake: () => void = () => {};

      const loop = (async () => {
        while (!stopped) {
          const next = claim(g, consumer);
          if (!next) {
            // Sleep until a publish, or until the oldest pending entry may be claimed.
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, Math.max(10, Math.min(redeliverAfterMs, 1000)));
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
              g.wake.add(wake);
            });
            g.wake.delete(wake);
            continue;
          }
          try {
            await handler(structuredClone(next.entry.event), { id: next.entry.id, redelivered: next.deliveries > 1 });
            g.pending.delete(next.entry.id);
          } catch {
            // Left pending; claimed again after redeliverAfterMs.
          }
        }
      })();

      const subscription = {
        async close() {
          stopped = true;
          wake();
          await loop;
          subscriptions.delete(subscription);
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
    },
  };
}
