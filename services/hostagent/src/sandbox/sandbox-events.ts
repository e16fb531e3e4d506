import { EventEmitter, on } from "node:events";

/** Things that happen to sandboxes without a caller asking; pushed to WatchEvents. */
export type SandboxEventType = "auto-paused" | "ttl-killed" | "exited" | "lost" | "resume-failed";

export interface SandboxEvent {
  type: SandboxEventType;
  sandboxId: string;
  at: Date;
  detail: string;
}

export interface SandboxEvents {
  publish(type: SandboxEventType, sandboxId: string, detail?: string): void;
  /** Events from now on (after `recent` ones if asked), until the signal aborts. */
  watch(signal: AbortSignal, options?: { includeRecent?: boolean }): AsyncIterable<SandboxEvent>;
  recent(): SandboxEvent[];
}

const keepRecent = 256;

export function createSandboxEvents(): SandboxEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const recent: SandboxEvent[] = [];
  return {
    publish(type, sandboxId, detail = "") {
      const event: SandboxEvent = { type, sandboxId, at: new Date(), detail };
      recent.push(event);
      if (recent.length > keepRecent) recent.shift();
      emitter.emit("event", event);
    },
    async *watch(signal, options = {}) {
      // Subscribe before replaying so nothing published in between is missed.
      const live = on(emitter, "event", { signal });
      if (options.includeRecent) yield* [...recent];
      try {
        for await (const [event] of live) yield event as SandboxEvent;
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    },
    recent: () => [...recent],
  };
}
