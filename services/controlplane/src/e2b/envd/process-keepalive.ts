import type { HandlerContext } from "@connectrpc/connect";

/** The SDKs ask for keepalives with this header, in seconds (50 in SDK 2.x). */
const keepaliveHeader = "keepalive-ping-interval";
/** Sent at least this often whatever was asked: proxies on the way drop idle connections at 60 s. */
const maxKeepaliveMs = 30_000;
const minKeepaliveMs = 1_000;

/** How long a stream may stay quiet before a keepalive: the asked interval, within 1 to 30 s. */
export function keepaliveIntervalMs(context: HandlerContext): number {
  const asked = Number.parseInt(context.requestHeader.get(keepaliveHeader) ?? "", 10);
  if (!Number.isFinite(asked) || asked <= 0) return maxKeepaliveMs;
  return Math.min(maxKeepaliveMs, Math.max(minKeepaliveMs, asked * 1000));
}

/**
 * The source's items, with `keepalive()` in between whenever the source has
 * said nothing for `intervalMs`. A pending read survives the keepalive (it is
 * raced again, never dropped), so no item is lost or reordered.
 */
export async function* withKeepalives<T>(source: AsyncIterable<T>, intervalMs: number, keepalive: () => T): AsyncGenerator<T, void> {
  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  let finished = false;
  try {
    for (;;) {
      pending ??= it.next();
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<"tick">((resolve) => (timer = setTimeout(() => resolve("tick"), intervalMs)));
      const next = await Promise.race([pending, tick]).finally(() => clearTimeout(timer));
      if (next === "tick") {
        yield keepalive();
        continue;
      }
      pending = undefined;
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!finished) {
      // A read still pending ends when the call is aborted; its outcome no longer matters.
      pending?.catch(() => undefined);
      void it.return?.()?.catch(() => undefined);
    }
  }
}
