import { errors, type Logger } from "@wrenn/shared";

/** A long-running call (stream) registered with the lifecycle. */
export interface LongCall {
  /** Aborts when the caller goes away or when AfterRestore drops streams from before the snapshot. */
  signal: AbortSignal;
  /** True when AfterRestore dropped this call: the handler ends it with UNAVAILABLE. */
  readonly dropped: boolean;
  end(): void;
}

export interface Lifecycle {
  readonly quiesced: boolean;
  /** UNAVAILABLE between PrepareSnapshot and AfterRestore; otherwise tracks the call. */
  beginLongCall(callSignal: AbortSignal): LongCall;
  /** Throws UNAVAILABLE while quiesced (for short calls that start long work, e.g. background processes). */
  requireActive(what: string): void;
  /** Hooks run by PrepareSnapshot (in order) and AfterRestore (in reverse order). */
  addHook(hook: LifecycleHook): void;
  prepareSnapshot(): Promise<void>;
  afterRestore(): Promise<void>;
  /** Streams currently open (for tests of leaks and for logs). */
  readonly openCalls: number;
}

export interface LifecycleHook {
  name: string;
  quiesce(): Promise<void> | void;
  resume(): Promise<void> | void;
}

/**
 * Snapshot safety. Before a pause the daemon stops its pollers and
 * forwarders and refuses new long work, so the freeze catches it idle;
 * after a restore every stream that was open before the snapshot is ended
 * (its TCP peer is gone or stale), then pollers start again.
 */
export function createLifecycle(logger: Logger): Lifecycle {
  let quiesced = false;
  const calls = new Set<{ controller: AbortController; dropped: boolean }>();
  const hooks: LifecycleHook[] = [];

  return {
    get quiesced() {
      return quiesced;
    },
    get openCalls() {
      return calls.size;
    },
    requireActive(what) {
      if (quiesced) throw errors.unavailable(`envd is preparing for a snapshot; ${what} is refused until it is restored`);
    },
    beginLongCall(callSignal) {
      if (quiesced) throw errors.unavailable("envd is preparing for a snapshot; retry after it is restored");
      const entry = { controller: new AbortController(), dropped: false };
      const onAbort = () => entry.controller.abort();
      callSignal.addEventListener("abort", onAbort, { once: true });
      if (callSignal.aborted) entry.controller.abort();
      calls.add(entry);
      return {
        signal: entry.controller.signal,
        get dropped() {
          return entry.dropped;
        },
        end() {
          callSignal.removeEventListener("abort", onAbort);
          calls.delete(entry);
        },
      };
    },
    addHook(hook) {
      hooks.push(hook);
    },
    async prepareSnapshot() {
      quiesced = true;
      for (const hook of hooks) await hook.quiesce();
      logger.info({ openCalls: calls.size }, "prepared for snapshot");
    },
    async afterRestore() {
      let dropped = 0;
      for (const entry of calls) {
        entry.dropped = true;
        entry.controller.abort();
        dropped += 1;
      }
      calls.clear();
      for (const hook of [...hooks].reverse()) await hook.resume();
      quiesced = false;
      logger.info({ droppedCalls: dropped }, "restored");
    },
  };
}
