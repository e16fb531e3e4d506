import { Redis } from "ioredis";
import type { Logger } from "@wrenn/shared";

/** Whether one more create is allowed now for a subject (an API key, a user). */
export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one attempt of `subject` in the current minute and says whether it is within the limit. */
  take(subject: string): Promise<RateVerdict>;
  close(): Promise<void>;
}

const windowMs = 60_000;

/** The current fixed one-minute window: its number, and seconds until the next one starts (at least 1). */
function windowAt(nowMs: number): { index: number; retryAfterSeconds: number } {
  const index = Math.floor(nowMs / windowMs);
  return { index, retryAfterSeconds: Math.max(1, Math.ceil(((index + 1) * windowMs - nowMs) / 1000)) };
}

/**
 * A fixed window per minute kept in this process: right for one controlplane
 * (no REDIS_URL). Old windows are dropped as the clock moves past them.
 */
export function createMemoryRateLimiter(perMinute: number, now: () => number = Date.now): RateLimiter {
  let current = -1;
  const counts = new Map<string, number>();
  return {
    async take(subject) {
      const window = windowAt(now());
      if (window.index !== current) {
        current = window.index;
        counts.clear();
      }
      const count = (counts.get(subject) ?? 0) + 1;
      counts.set(subject, count);
      return count <= perMinute ? { allowed: true } : { allowed: false, retryAfterSeconds: window.retryAfterSeconds };
    },
    async close() {},
  };
}

/**
 * The same window in Redis, so every controlplane copy counts against one
 * limit: INCR on a key naming the subject and the minute, with an EXPIRE so
 * the key goes away after its minute. If Redis cannot be reached the create
 * is let through (logged): the team's sandbox quota still bounds what it can
 * start, and an outage of the limiter should not stop every create.
 */
export function createRedisRateLimiter(options: { url: string; perMinute: number; logger: Logger; prefix?: string }): RateLimiter {
  const { perMinute, logger } = options;
  const prefix = options.prefix ?? "wrenn:create-rate";
  const redis = new Redis(options.url, { maxRetriesPerRequest: 2 });
  redis.on("error", (err) => logger.warn({ err: err.message }, "redis connection error (create rate limit)"));
  return {
    async take(subject) {
      const window = windowAt(Date.now());
      const key = `${prefix}:${subject}:${window.index}`;
      let count: number;
      try {
        const [incr] = (await redis.multi().incr(key).expire(key, 2 * (windowMs / 1000)).exec()) ?? [];
        if (!incr || incr[0]) throw incr?.[0] ?? new Error("the transaction was discarded");
        count = Number(incr[1]);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, "create rate limit unavailable; allowing the create");
        return { allowed: true };
      }
      return count <= perMinute ? { allowed: true } : { allowed: false, retryAfterSeconds: window.retryAfterSeconds };
    },
    async close() {
      redis.disconnect();
    },
  };
}
