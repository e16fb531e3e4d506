import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeaseRepository } from "../../src/db/lease-repository.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { createEmptyTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("singleton jobs across controlplane copies");

const jobs = ["reconciler", "stopped-sandbox-purge", "user-purge", "oidc-login-sweeper"];

/** The jobs a copy's log says it won (and still runs: not lost or stopped since). */
function runningJobs(copy: TestControlPlane): string[] {
  const state = new Map<string, boolean>();
  for (const line of copy.logs) {
    const entry = JSON.parse(line) as { lease?: string; msg?: string };
    if (!entry.lease) continue;
    if (entry.msg?.startsWith("lease won")) state.set(entry.lease, true);
    if (entry.msg?.startsWith("lease lost")) state.set(entry.lease, false);
  }
  return [...state].filter(([, on]) => on).map(([name]) => name).sort();
}

/**
 * Two controlplane copies on one database of their own (the shared test
 * database has every other test file's copies competing for the same leases).
 */
describe.skipIf(!testDatabaseUrl)("singleton jobs across two controlplane copies", () => {
  let database: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
  let a: TestControlPlane;
  let b: TestControlPlane | undefined;

  beforeAll(async () => {
    database = await createEmptyTestDatabase();
    const config = { hostAgentUrl: "127.0.0.1:1", databaseUrl: database.url, singletonLeaseMs: 900 };
    a = await startTestControlPlane(config);
    b = await startTestControlPlane(config);
  });
  afterAll(async () => {
    // close() is safe to call twice: the copy stopped in the test is closed again here.
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it("runs each singleton job on exactly one copy, and moves it to the other when that copy stops", async () => {
    const leases = createLeaseRepository(a.running.context.pool);
    // Every job is held, each by one copy (whichever won it first).
    await expect.poll(async () => (await Promise.all(jobs.map((job) => leases.holderOf(job)))).every(Boolean), { timeout: 5_000 }).toBe(true);
    // Each job runs on exactly one copy (the log line follows the win by a moment).
    await expect.poll(() => [...runningJobs(a), ...runningJobs(b!)].sort(), { timeout: 5_000 }).toEqual([...jobs].sort());

    // Stop the copy running the reconciler; the other takes every job.
    const [stopping, staying] = runningJobs(a).includes("reconciler") ? [a, b!] : [b!, a];
    const stoppingHolder = await leases.holderOf("reconciler");
    await stopping.close();
    // The stopped copy gave its leases up on the way out, so the other takes them at its next renewal (a third of the lease).
    await expect.poll(() => runningJobs(staying), { timeout: 5_000 }).toEqual([...jobs].sort());
    const holders = await Promise.all(jobs.map((job) => createLeaseRepository(staying.running.context.pool).holderOf(job)));
    expect(new Set(holders).size).toBe(1);
    expect(holders[0]).toBeDefined();
    expect(holders[0]).not.toBe(stoppingHolder);
    // The copy left serves the API as before, for a team made through the other.
    const { sandboxes } = await staying.clientsWith(stopping.apiKey).sandboxes.listSandboxes({});
    expect(sandboxes).toEqual([]);
  });
});
