import { createWakeSignal } from "../util/wake-signal.js";

/**
 * A FIFO between the child's pipes (producer) and the gRPC stream (consumer).
 * Memory stays bounded: past `highWaterBytes` the producer is asked to pause
 * (the pipes stop being read, so the child blocks on write), and it is resumed
 * once the consumer has drained below `lowWaterBytes`. Nothing is dropped.
 */
export interface EventQueue<T> {
  push(item: T, bytes: number): void;
  /** No more items will come; next() returns "closed" once the queue is empty. */
  close(): void;
  /**
   * Removes and returns queued items from the head while `accept` says yes and
   * their total stays within `maxBytes` (merging small output chunks into one
   * message when the consumer is behind).
   */
  takeWhile(accept: (item: T) => boolean, maxBytes: number): T[];
  /** The consumer left: drop what is queued, release a paused producer, end next(). */
  discard(): void;
  /** The next item, "timeout" after `idleMs` without one, or "closed". */
  next(idleMs: number): Promise<{ item: T } | "timeout" | "closed">;
  readonly paused: boolean;
}

export interface EventQueueOptions {
  highWaterBytes: number;
  lowWaterBytes: number;
  onPause(): void;
  onResume(): void;
}

export function createEventQueue<T>(options: EventQueueOptions): EventQueue<T> {
  const items: { item: T; bytes: number }[] = [];
  let bytes = 0;
  let paused = false;
  let closed = false;
  const wakeSignal = createWakeSignal();
  const notify = wakeSignal.notify;

  return {
    get paused() {
      return paused;
    },
    push(item, size) {
      items.push({ item, bytes: size });
      bytes += size;
      if (!paused && bytes > options.highWaterBytes) {
        paused = true;
        options.onPause();
      }
      notify();
    },
    close() {
      closed = true;
      notify();
    },
    takeWhile(accept, maxBytes) {
      const taken: T[] = [];
      let total = 0;
      while (items.length > 0 && accept(items[0].item) && total + items[0].bytes <= maxBytes) {
        const head = items.shift()!;
        total += head.bytes;
        bytes -= head.bytes;
        taken.push(head.item);
      }
      if (paused && bytes <= options.lowWaterBytes) {
        paused = false;
        options.onResume();
      }
      return taken;
    },
    discard() {
      items.length = 0;
      bytes = 0;
      closed = true;
      if (paused) {
        paused = false;
        options.onResume();
      }
      notify();
    },
    async next(idleMs) {
      for (;;) {
        const head = items.shift();
        if (head) {
          bytes -= head.bytes;
          if (paused && bytes <= options.lowWaterBytes) {
            paused = false;
            options.onResume();
          }
          return { item: head.item };
        }
        if (closed) return "closed";
        const woke = await wakeSignal.wait(idleMs);
        if (!woke) return "timeout";
      }
    },
  };
}
