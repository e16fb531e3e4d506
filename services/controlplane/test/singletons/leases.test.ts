import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@wrenn/shared";
import type { Database } from "../../src/db/database.js";
import { createLeaseRepository } from "../../src/db/lease-repository.js";
import type { LeaseStore } from "../../src/singletons/lease-store.js";
import { leasedWorker } from "../../src/singletons/leased-worker.js";
import type { BackgroundWorker } from "../../src/extensions.js";
import { openTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("singleton leases");

const logger = createLogger("leases-test", { level: "silent" });
const uniqueName = (what: string) => `test-${what}-${randomBytes(4).toString("hex")}`;

/** A job that records when it runs on which copy, and ends only when its signal aborts. */
function recordingJob(name: string, log: string[], copy: string): BackgroundWorker {
  return {
    name,
    async run(signal) {
      log.push(`${copy} start`);
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      log.push(`${copy} stop`);
    },
  };
}

/** The real store, until `die()`: then every call fails, as for a copy that lost its database or was frozen. */
function killable(store: LeaseStore): LeaseStore & { die(): void } {
  let dead = false;
  const check = () => {
    if (dead) throw new Error("connection terminated");
  };
  return {
    die: () => void (dead = true),
    tryAcquire: async (...args) => (check(), store.tryAcquire(...args)),
    release: async (...args) => (check(), store.release(...args)),
    holderOf: async (...args) => (check(), store.holderOf(...args)),
  };
}

describe.skipIf(!testDatabaseUrl)("singleton leases on PostgreSQL", () => {
  let db: Database;
  let leases: LeaseStore;

  beforeAll(async () => {
    db = await openTestDatabase();
    leases = createLeaseRepository(db.pool);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("gives a name to one holder at a time, renews it for that holder, and frees it on release", async () => {
    const name = uniqueName("lease");
    expect(await leases.tryAcquire(name, "a", 10_000)).toBe(true);
    expect(await leases.tryAcquire(name, "b", 10_000)).toBe(false);
    expect(await leases.tryAcquire(name, "a", 10_000)).toBe(true);
    expect(await leases.holderOf(name)).toBe("a");
    await leases.release(name, "b");
    expect(await leases.holderOf(name), "a release by another holder changes nothing").toBe("a");
    await leases.release(name, "a");
    expect(await leases.holderOf(name)).toBeUndefined();
    expect(await leases.tryAcquire(name, "b", 10_000)).toBe(true);
  });

  it("lets another holder take a lease once it expired unrenewed", async () => {
    const name = uniqueName("expiry");
    expect(await leases.tryAcquire(name, "a", 300)).toBe(true);
    expect(await leases.tryAcquire(name, "b", 300)).toBe(false);
    await sleep(400);
    expect(await leases.holderOf(name)).toBeUndefined();
    expect(await leases.tryAcquire(name, "b", 300)).toBe(true);
    expect(await leases.tryAcquire(name, "a", 300)).toBe(false);
  });

  it("runs a job on one copy, and on the other once the first stops", async () => {
    const name = uniqueName("job");
    const log: string[] = [];
    const options = { leases, ttlMs: 600, logger };
    const a = new AbortController();
    const b = new AbortController();
    const runA = leasedWorker(recordingJob(name, log, "a"), { ...options, holder: "a" }).run(a.signal);
    await expect.poll(() => log).toEqual(["a start"]);
    const runB = leasedWorker(recordingJob(name, log, "b"), { ...options, holder: "b" }).run(b.signal);
    // Several renewal rounds: b keeps trying and never runs beside a.
    await sleep(1_000);
    expect(log).toEqual(["a start"]);
    a.abort();
    await runA;
    // a gave its lease up on the way out (it had renewed it a moment before, so it had not expired): b runs at its next try.
    expect(await leases.holderOf(name)).not.toBe("a");
    await expect.poll(() => log, { timeout: 3_000 }).toEqual(["a start", "a stop", "b start"]);
    b.abort();
    await runB;
    expect(await leases.holderOf(name)).toBeUndefined();
  });

  it("moves the job off a copy that can no longer renew, and only after that copy stopped it", async () => {
    const name = uniqueName("dead");
    const log: string[] = [];
    const ttlMs = 900;
    const storeA = killable(leases);
    const a = new AbortController();
    const b = new AbortController();
    const runA = leasedWorker(recordingJob(name, log, "a"), { leases: storeA, holder: "a", ttlMs, logger }).run(a.signal);
    await expect.poll(() => log).toEqual(["a start"]);
    const runB = leasedWorker(recordingJob(name, log, "b"), { leases, holder: "b", ttlMs, logger }).run(b.signal);
    storeA.die();
    const died = Date.now();
    await expect.poll(() => log, { timeout: 5_000 }).toEqual(["a start", "a stop", "b start"]);
    // b waited for the dead copy's lease to expire: it never freed it.
    expect(Date.now() - died).toBeGreaterThanOrEqual(ttlMs - ttlMs / 3 - 50);
    a.abort();
    b.abort();
    await Promise.all([runA, runB]);
  });

  it("gives the lease up when its job ends or fails by itself", async () => {
    const name = uniqueName("ends");
    const failing: BackgroundWorker = { name, run: () => Promise.reject(new Error("job broke")) };
    const controller = new AbortController();
    await leasedWorker(failing, { leases, holder: "a", ttlMs: 600, logger }).run(controller.signal);
    expect(await leases.holderOf(name)).toBeUndefined();
    expect(await leases.tryAcquire(name, "b", 600)).toBe(true);
  });
});
