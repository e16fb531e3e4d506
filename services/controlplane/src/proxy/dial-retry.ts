import type { Socket } from "node:net";
import { TunnelRefusal } from "./tunnel.js";

export interface RetryPolicy {
  /** How long a closed port is retried before the proxy answers 502: a server that was just started is coming up. */
  budgetMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { budgetMs: 10_000, firstDelayMs: 100, maxDelayMs: 1_000 };

/**
 * Dials until the tunnel connects, retrying only "nothing listens on that
 * port" (the tunnel's 502) with doubling delays inside the budget; every
 * other refusal or failure is final at once. The client leaving stops it.
 */
export async function dialWithRetry(dial: () => Promise<Socket>, policy: RetryPolicy, signal?: AbortSignal): Promise<Socket> {
  const deadline = Date.now() + policy.budgetMs;
  let delay = policy.firstDelayMs;
  for (;;) {
    try {
      return await dial();
    } catch (err) {
      const closedPort = err instanceof TunnelRefusal && err.status === 502;
      const wait = Math.min(delay, deadline - Date.now());
      if (!closedPort || wait <= 0 || signal?.aborted) throw err;
      await sleep(wait, signal);
      if (signal?.aborted) throw err;
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
