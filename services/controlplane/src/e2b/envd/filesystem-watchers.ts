import { createHash, randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EnvdCaller, PublicEnvdClients } from "./envd-calls.js";
import { toConnectError } from "./filesystem-errors.js";
import { watchItems, type E2bFsEvent, type WatchItem, type WatchSpec } from "./filesystem-watch.js";

export interface WatcherLimits {
  /** Watchers this controlplane keeps at once; more is RESOURCE_EXHAUSTED. */
  maxWatchers: number;
  /** Watchers per sandbox. */
  maxPerSandbox: number;
  /** Unread events a watcher holds; past that it ends and its next poll says so. */
  maxEvents: number;
  /** A watcher nobody polled for this long is removed (its watch in the sandbox ends). */
  idleMs: number;
}

export const defaultWatcherLimits: WatcherLimits = { maxWatchers: 1000, maxPerSandbox: 64, maxEvents: 10_000, idleMs: 5 * 60_000 };

interface Watcher {
  sandboxId: string;
  /** Who created it: a poll with another credential does not see it. */
  owner: string;
  events: E2bFsEvent[];
  failure?: ConnectError;
  lastUsed: number;
  abort: AbortController;
}

/**
 * The polling form of WatchDir (the Python SDK's CreateWatcher /
 * GetWatcherEvents / RemoveWatcher): each watcher is a public WatchDir
 * stream held by this controlplane, its events buffered until polled. They
 * live in memory only: after a controlplane restart a poll is NOT_FOUND,
 * as after envd's own restart.
 */
export function createWatcherRegistry(clients: PublicEnvdClients, limits: WatcherLimits = defaultWatcherLimits) {
  const watchers = new Map<string, Watcher>();

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, w] of watchers) if (now - w.lastUsed > limits.idleMs) drop(id);
  }, Math.max(1000, Math.min(limits.idleMs / 2, 60_000)));
  sweep.unref();

  function drop(id: string): void {
    const w = watchers.get(id);
    if (!w) return;
    watchers.delete(id);
    w.abort.abort();
  }

  /** The caller's watcher, or NOT_FOUND (also for another sandbox's or another credential's). */
  function owned(caller: EnvdCaller, id: string): Watcher {
    const w = watchers.get(id);
    if (!w || w.sandboxId !== caller.sandboxId || w.owner !== ownerOf(caller)) throw new ConnectError(`watcher ${id.slice(0, 64)} not found`, Code.NotFound);
    return w;
  }

  return {
    /** Answers once the watch is in place in the sandbox, so changes after it are reported. */
    async create(caller: EnvdCaller, spec: WatchSpec, signal: AbortSignal): Promise<string> {
      if (watchers.size >= limits.maxWatchers) throw new ConnectError("too many watchers on this server; remove some", Code.ResourceExhausted);
      const mine = [...watchers.values()].filter((w) => w.sandboxId === caller.sandboxId).length;
      if (mine >= limits.maxPerSandbox) throw new ConnectError(`at most ${limits.maxPerSandbox} watchers per sandbox`, Code.ResourceExhausted);
      const abort = new AbortController();
      const items = watchItems(clients, caller, spec, abort.signal);
      const onCancel = () => abort.abort();
      signal.addEventListener("abort", onCancel, { once: true });
      let first: IteratorResult<WatchItem>;
      try {
        first = await items.next();
      } catch (err) {
        abort.abort();
        throw toConnectError(err);
      } finally {
        signal.removeEventListener("abort", onCancel);
      }
      if (first.done || first.value.kind !== "start") {
        abort.abort();
        throw new ConnectError("the watch ended before it started", Code.Unavailable);
      }
      const id = randomUUID();
      const watcher: Watcher = { sandboxId: caller.sandboxId, owner: ownerOf(caller), events: [], lastUsed: Date.now(), abort };
      watchers.set(id, watcher);
      void collect(watcher, items);
      return id;
    },

    /** The events since the last poll; a watcher that failed answers its failure once and is gone. */
    poll(caller: EnvdCaller, id: string): E2bFsEvent[] {
      const w = owned(caller, id);
      w.lastUsed = Date.now();
      const events = w.events;
      w.events = [];
      if (events.length === 0 && w.failure) {
        drop(id);
        throw w.failure;
      }
      return events;
    },

    remove(caller: EnvdCaller, id: string): void {
      owned(caller, id);
      drop(id);
    },

    close(): void {
      clearInterval(sweep);
      for (const id of [...watchers.keys()]) drop(id);
    },

    /** For tests: how many watchers are held. */
    get size(): number {
      return watchers.size;
    },
  };

  async function collect(w: Watcher, items: AsyncGenerator<WatchItem>): Promise<void> {
    try {
      for await (const item of items) {
        if (item.kind !== "event") continue;
        if (w.events.length >= limits.maxEvents) {
          w.failure = new ConnectError(`more than ${limits.maxEvents} unread events; the watcher was stopped`, Code.ResourceExhausted);
          w.abort.abort();
          return;
        }
        w.events.push(item.event);
      }
      w.failure ??= new ConnectError("the watch ended (the sandbox stopped?)", Code.Unavailable);
    } catch (err) {
      if (!w.abort.signal.aborted) w.failure = toConnectError(err);
    }
  }
}

export type WatcherRegistry = ReturnType<typeof createWatcherRegistry>;

/** A fingerprint of the caller's credential (never the credential itself). */
function ownerOf(caller: EnvdCaller): string {
  const token = caller.metadata.get("x-wrenn-access-token") ?? "";
  return createHash("sha256").update(String(token)).update("\0").update(caller.user ?? "").digest("base64url");
}
