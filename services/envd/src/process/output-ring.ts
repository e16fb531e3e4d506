/**
 * The most recent output of one process, kept so a client that (re)attaches
 * later receives what it missed, oldest first. Bounded: past `capacityBytes`
 * whole chunks are dropped from the front and counted, so Connect can say
 * exactly how much is missing instead of pretending the replay is complete.
 * Chunks are the Buffers the pipes produced; nothing is copied.
 */
export interface OutputRing<T> {
  push(item: T, bytes: number): void;
  /** Everything retained, oldest first, and how many bytes were dropped before it. */
  snapshot(): { items: T[]; droppedBytes: number };
  readonly bytes: number;
}

export function createOutputRing<T>(capacityBytes: number): OutputRing<T> {
  const items: { item: T; bytes: number }[] = [];
  let head = 0;
  let bytes = 0;
  let droppedBytes = 0;
  return {
    get bytes() {
      return bytes;
    },
    push(item, size) {
      items.push({ item, bytes: size });
      bytes += size;
      while (bytes > capacityBytes && head < items.length) {
        const gone = items[head];
        items[head] = undefined as never;
        head += 1;
        bytes -= gone.bytes;
        droppedBytes += gone.bytes;
      }
      // Compact now and then instead of shifting on every drop.
      if (head > 1024 && head * 2 > items.length) {
        items.splice(0, head);
        head = 0;
      }
    },
    snapshot() {
      return { items: items.slice(head).map((e) => e.item), droppedBytes };
    },
  };
}
