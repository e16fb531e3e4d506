import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createLogger } from "@wrenn/shared";
import { createMemoryRateLimiter, createRedisRateLimiter } from "../../src/limits/create-rate-limiter.js";

const redisUrl = process.env.REDIS_URL;
const logger = createLogger("test", { level: "silent" });

describe("the create rate limit's one-minute window", () => {
  it("allows `perMinute` a minute per subject, says when the next minute starts, and starts afresh then", async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 15, 500); // 44.5 s before the next minute
    const limiter = createMemoryRateLimiter(2, () => now);
    expect(await limiter.take("key:a")).toEqual({ allowed: true });
    expect(await limiter.take("key:a")).toEqual({ allowed: true });
    expect(await limiter.take("key:a")).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(await limiter.take("key:b")).toEqual({ allowed: true });
    now = Date.UTC(2026, 0, 1, 12, 0, 59, 999);
    expect(await limiter.take("key:a")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now = Date.UTC(2026, 0, 1, 12, 1, 0, 0);
    expect(await limiter.take("key:a")).toEqual({ allowed: true });
  });
});

describe.skipIf(!redisUrl)("the create rate limit in Redis", () => {
  it("is one count for every limiter sharing the Redis", async () => {
    const prefix = `wrenn-test:create-rate:${randomUUID()}`;
    const first = createRedisRateLimiter({ url: redisUrl!, perMinute: 2, logger, prefix });
    const second = createRedisRateLimiter({ url: redisUrl!, perMinute: 2, logger, prefix });
    try {
      // Early in a minute, so the three takes fall in one window.
      const left = 60_000 - (Date.now() % 60_000);
      if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
      expect(await first.take("key:a")).toEqual({ allowed: true });
      expect(await second.take("key:a")).toEqual({ allowed: true });
      const refused = await first.take("key:a");
      expect(refused.allowed).toBe(false);
      expect(await second.take("key:b")).toEqual({ allowed: true });
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("lets creates through while Redis cannot be reached (the team quota still bounds them)", async () => {
    const limiter = createRedisRateLimiter({ url: "redis://127.0.0.1:1", perMinute: 1, logger });
    try {
      expect(await limiter.take("key:a")).toEqual({ allowed: true });
      expect(await limiter.take("key:a")).toEqual({ allowed: true });
    } finally {
      await limiter.close();
    }
  });
});
