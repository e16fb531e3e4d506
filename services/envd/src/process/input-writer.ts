import type { Writable } from "node:stream";
import { errors } from "@wrenn/shared";

/**
 * Writes input to a child's stdin (or its terminal) in order. Input that
 * arrives while a write is still in flight is merged into the next write, so
 * a burst of keystrokes or a paste becomes a few large writes instead of one
 * per message. Pending input is bounded; beyond it callers get
 * RESOURCE_EXHAUSTED (a process that never reads cannot grow envd's memory).
 */
export interface InputWriter {
  write(data: Buffer): void;
  /** Resolves once pending input is below the bound again (StreamInput's back-pressure). */
  ready(signal: AbortSignal): Promise<void>;
  /** Ends the input after everything pending was written. */
  close(): void;
  readonly closed: boolean;
}

const maxPendingBytes = 4 * 1024 * 1024;
const readyBytes = 1024 * 1024;

export function createInputWriter(stream: Writable, onClose?: () => void): InputWriter {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let writing = false;
  let closed = false;
  let ended = false;
  let waiters: (() => void)[] = [];

  stream.on("error", () => {
    // EPIPE: the process closed its stdin or exited. Further input is refused.
    closed = true;
    pending = [];
    pendingBytes = 0;
    wakeWaiters();
  });

  function wakeWaiters() {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  }

  function flush() {
    if (writing) return;
    if (pending.length === 0) {
      if (closed && !ended) {
        ended = true;
        stream.end();
        onClose?.();
      }
      return;
    }
    const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    wakeWaiters();
    writing = true;
    stream.write(chunk, () => {
      writing = false;
      flush();
    });
  }

  return {
    get closed() {
      return closed;
    },
    write(data) {
      if (closed || stream.destroyed) throw errors.failedPrecondition("stdin of this process is closed");
      if (data.length === 0) return;
      if (pendingBytes + data.length > maxPendingBytes) {
        throw errors.resourceExhausted("the process is not reading its input; too much input pending");
      }
      pending.push(data);
      pendingBytes += data.length;
      flush();
    },
    async ready(signal) {
      while (pendingBytes > readyBytes && !closed && !signal.aborted) {
        await new Promise<void>((resolve) => {
          const onAbort = () => resolve();
          waiters.push(() => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          });
          signal.addEventListener("abort", onAbort, { once: true });
        });
      }
    },
    close() {
      if (closed) return;
      closed = true;
      flush();
    },
  };
}
