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
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it("runs each singleton job on exactly one copy, and moves it to the other when that copy stops", async () => {
    const leases = createLeaseRepository(a.running.context.pool);
    // Every job is held, each by one copy (whichever won it first).
    await expect.poll(async () => (await Promise.all(jobs.map((job) => leases.holderOf(job)))).every(Boolean), { timeout: 5_000 }).toBe(true);
    expect([...runningJobs(a), ...runningJobs(b!)].sort()).toEqual([...jobs].sort());
    expect(runningJobs(a), "the first copy up wins every job").toEqual([...jobs].sort());

    const holderA = await leases.holderOf("reconciler");
    await a.close();
    // a gave its leases up on the way out, so b takes them at its next renewal (a third of the lease).
    await expect.poll(() => runningJobs(b!), { timeout: 2_000 }).toEqual([...jobs].sort());
    const bLeases = createLeaseRepository(b!.running.context.pool);
    const holderB = await bLeases.holderOf("reconciler");
    expect(holderB).toBeDefined();
    expect(holderB).not.toBe(holderA);
    // The copy left serves the API as before: a's team, made through a, is known to b.
    const { sandboxes } = await b!.clientsWith(a.apiKey).sandboxes.listSandboxes({});
    expect(sandboxes).toEqual([]);
  });
});
