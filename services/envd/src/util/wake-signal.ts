/**
 * One consumer waiting for "something changed" with an idle timeout: the
 * producer calls notify(), the consumer awaits wait(ms), which resolves true
 * when notified and false when the time ran out. A notify with nobody waiting
 * is dropped: consumers re-check their state before waiting.
 */
export interface WakeSignal {
  notify(): void;
  wait(idleMs: number): Promise<boolean>;
}

export function createWakeSignal(): WakeSignal {
  let wake: (() => void) | undefined;
  return {
    notify() {
      const w = wake;
      wake = undefined;
      w?.();
    },
    wait(idleMs) {
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve(false);
        }, idleMs);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
    },
  };
}
