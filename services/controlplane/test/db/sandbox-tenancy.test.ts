import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "@wrenn/shared";
import type { Database } from "../../src/db/database.js";
import type { SandboxStore } from "../../src/lifecycle/sandbox-store.js";
import { insertTestTeam, openTestDatabaseWithHost, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("sandbox tenancy repository tests");

describe.skipIf(!testDatabaseUrl)("sandboxes by team: listing filters and the concurrent-sandbox quota", () => {
  let db: Database;
  let sandboxes: SandboxStore;
  let hostId: string;

  beforeAll(async () => {
    ({ db, sandboxes, hostId } = await openTestDatabaseWithHost());
  });
  afterAll(async () => {
    await db?.close();
  });

  const insert = (teamId: string, metadata: Record<string, string> = {}) =>
    sandboxes.insertStarting({ id: randomUUID(), teamId, templateId: "base", hostId, metadata });
  const longAgo = new Date(0);

  it("lists one team's sandboxes only, and only those carrying every label of the filter", async () => {
    const [teamA, teamB] = [await insertTestTeam(db.pool), await insertTestTeam(db.pool)];
    const web = await insert(teamA, { app: "web", env: "prod" });
    const webDev = await insert(teamA, { app: "web", env: "dev" });
    const other = await insert(teamB, { app: "web", env: "prod" });

    const ids = async (filter: Parameters<SandboxStore["listVisible"]>[1]) => (await sandboxes.listVisible(longAgo, filter)).map((s) => s.id);
    expect(await ids({ teamId: teamA })).toEqual([web.id, webDev.id]);
    expect(await ids({ teamId: teamB })).toEqual([other.id]);
    expect(await ids({ teamId: teamA, metadata: [["app", "web"]] })).toEqual([web.id, webDev.id]);
    expect(await ids({ teamId: teamA, metadata: [["app", "web"], ["env", "prod"]] })).toEqual([web.id]);
    expect(await ids({ teamId: teamA, metadata: [["env", "prod"], ["env", "dev"]] })).toEqual([]);
    expect(await ids({ teamId: teamA, metadata: [["app", ""]] })).toEqual([]);
    // Without a team: every team's (the platform admin's view).
    expect(await ids({ metadata: [["app", "web"], ["env", "prod"]] })).toEqual(expect.arrayContaining([web.id, other.id]));
    expect(web.teamId).toBe(teamA);
    expect((await sandboxes.get(other.id))?.teamId).toBe(teamB);
  });

  it("lets concurrent creates fill a team's quota exactly, and counts neither stopped nor failed sandboxes", async () => {
    const teamId = await insertTestTeam(db.pool, { quota: 3 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => insert(teamId)));
    const created = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const { reason } of refused) {
      expect(reason).toMatchObject({ code: Status.RESOURCE_EXHAUSTED, details: "team has 3 sandboxes, its quota is 3" });
    }

    const [first, second] = (await sandboxes.listVisible(longAgo, { teamId })).map((s) => s.id);
    await sandboxes.transition(first!, ["starting"], "error", "failed to start");
    await sandboxes.transition(second!, ["starting"], "stopping");
    await expect(insert(teamId)).resolves.toMatchObject({ teamId });
    // stopping still holds host resources, so it still counts.
    await expect(insert(teamId)).rejects.toMatchObject({ code: Status.RESOURCE_EXHAUSTED });
    await sandboxes.transition(second!, ["stopping"], "stopped");
    await expect(insert(teamId)).resolves.toMatchObject({ teamId });
  });

  it("refuses a sandbox for a team that does not exist", async () => {
    await expect(insert(randomUUID())).rejects.toMatchObject({ code: Status.NOT_FOUND, details: "team not found" });
  });
});
