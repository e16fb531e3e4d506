import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, Metadata, Status, type Channel } from "nice-grpc";
import { sql } from "slonik";
import { toWireId } from "@wrenn/shared";
import { AuditServiceDefinition, type AuditServiceClient, type ListAuditLogsRequest } from "@wrenn/gen/wrenn/api/v1/audit.js";
import { createAuditRepository } from "../../../src/db/identity/audit-repository.js";
import type { AuditEntryInput } from "../../../src/identity/audit.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../../support/test-controlplane.js";
import { createTestTeam, type TestTeam } from "../../support/test-team.js";
import { newSessionUser, sessionFor } from "../admin/sessions.js";

warnIfNoDatabase("audit list tests");

const minute = 60_000;

/** Who may read which audit log, and the filters and pages of ListAuditLogs, over gRPC and HTTP. */
describe.skipIf(!testDatabaseUrl)("ListAuditLogs", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let channel: Channel;
  let team: TestTeam;
  let other: TestTeam;
  const t0 = Date.now() - 60 * minute;

  const client = (metadata: Record<string, string>): AuditServiceClient =>
    createClient(AuditServiceDefinition, channel, { "*": { metadata: Metadata(metadata) } });
  const keyOf = (t: TestTeam) => ({ authorization: `Bearer ${t.apiKey}` });
  const teamWire = () => toWireId("team", team.teamId);
  const status = (promise: Promise<unknown>) => promise.then(() => ({ code: Status.OK, details: "" }), (err: { code: Status; details: string }) => err);

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 } });
    channel = createChannel(cp.running.grpcAddress);
    const pool = cp.running.context.pool;
    team = await createTestTeam(pool, "audited");
    other = await createTestTeam(pool, "other");
    // Ten entries a minute apart: 0..5 sandbox.create (2 and 4 failed), 6 sandbox.destroy, 7..9 api_key.create.
    const store = createAuditRepository(pool);
    for (let i = 0; i < 10; i++) {
      const entry: AuditEntryInput = {
        teamId: team.teamId,
        actor: { userId: i % 2 === 0 ? team.userId : null, name: i % 2 === 0 ? "owner@example.test" : "api-key wrn_abc", keyPrefix: "" },
        action: i < 6 ? "sandbox.create" : i === 6 ? "sandbox.destroy" : "api_key.create",
        resourceType: i < 7 ? "sandbox" : "api_key",
        resourceId: `res-${i}`,
        result: i === 2 || i === 4 ? "failure" : "success",
        time: new Date(t0 + i * minute),
      };
      await store.insert(entry);
    }
    await store.insert({ teamId: other.teamId, actor: { userId: null, name: "x", keyPrefix: "" }, action: "sandbox.create", resourceType: "sandbox", result: "success" });
  });
  afterAll(async () => {
    channel?.close();
    await cp?.close();
    await host?.close();
  });

  const ids = async (request: Partial<ListAuditLogsRequest>) =>
    (await client(keyOf(team)).listAuditLogs({ teamId: teamWire(), ...request })).entries.map((e) => e.resourceId);

  it("filters by action (exact or a prefix ending in '.'), result, actor, resource and time", async () => {
    expect(await ids({ action: "sandbox." })).toEqual(["res-6", "res-5", "res-4", "res-3", "res-2", "res-1", "res-0"]);
    expect(await ids({ action: "sandbox.create" })).toEqual(["res-5", "res-4", "res-3", "res-2", "res-1", "res-0"]);
    expect(await ids({ action: "sandbox" })).toEqual([]);
    expect(await ids({ result: "failure" })).toEqual(["res-4", "res-2"]);
    expect(await ids({ actorUserId: toWireId("usr", team.userId) })).toEqual(["res-8", "res-6", "res-4", "res-2", "res-0"]);
    expect(await ids({ resourceId: "res-7" })).toEqual(["res-7"]);
    expect(await ids({ since: new Date(t0 + 3 * minute), until: new Date(t0 + 6 * minute) })).toEqual(["res-5", "res-4", "res-3"]);
  });

  it("pages newest first with an opaque token, each entry once", async () => {
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await client(keyOf(team)).listAuditLogs({ teamId: teamWire(), pageSize: 3, pageToken });
      expect(page.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.entries.map((e) => e.resourceId));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(seen).toEqual(["res-9", "res-8", "res-7", "res-6", "res-5", "res-4", "res-3", "res-2", "res-1", "res-0"]);
    expect(pages).toBe(4);
  });

  it("refuses a token it did not issue, a page over 500 and an unknown result", async () => {
    const api = client(keyOf(team));
    for (const request of [{ pageToken: "not-a-token" }, { pageToken: Buffer.from("12abc").toString("base64url") }, { pageSize: 501 }, { result: "maybe" }]) {
      expect((await status(api.listAuditLogs({ teamId: teamWire(), ...request }))).code).toBe(Status.INVALID_ARGUMENT);
    }
  });

  it("shows a team's log to its API keys and its owners and admins; to anyone else it is a team that does not exist", async () => {
    const pool = cp.running.context.pool;
    expect(await ids({})).toHaveLength(10);
    const owner = client(await sessionFor(pool, team.userId));
    expect((await owner.listAuditLogs({ teamId: teamWire() })).entries).toHaveLength(10);

    const [member, teamAdmin] = [await newSessionUser(pool), await newSessionUser(pool)];
    await pool.query(sql.unsafe`
      INSERT INTO team_members (team_id, user_id, role) VALUES (${team.teamId}::uuid, ${member.userId}::uuid, 'member'),
        (${team.teamId}::uuid, ${teamAdmin.userId}::uuid, 'admin')`);
    expect((await client(teamAdmin.metadata).listAuditLogs({ teamId: teamWire() })).entries).toHaveLength(10);

    const missing = await status(client(keyOf(team)).listAuditLogs({ teamId: toWireId("team", randomUUID()) }));
    expect(missing.code).toBe(Status.NOT_FOUND);
    for (const outsider of [client(keyOf(other)), client(member.metadata)]) {
      const refused = await status(outsider.listAuditLogs({ teamId: teamWire() }));
      expect(refused.code).toBe(Status.NOT_FOUND);
      expect(refused.details).toBe(missing.details.replace(/team-[0-9a-f]{32}/, teamWire()));
    }
  });

  it("shows the whole platform's log (team_id empty) to platform admins only", async () => {
    const pool = cp.running.context.pool;
    const admin = await newSessionUser(pool, true);
    const all = (await client(admin.metadata).listAuditLogs({ action: "sandbox.create", pageSize: 500 })).entries;
    expect([...new Set(all.map((e) => e.teamId))]).toEqual(expect.arrayContaining([teamWire(), toWireId("team", other.teamId)]));
    for (const caller of [keyOf(team), (await newSessionUser(pool)).metadata]) {
      expect(await status(client(caller).listAuditLogs({}))).toMatchObject({ code: Status.NOT_FOUND, details: "not found" });
    }
    // An admin may also read any one team's log.
    expect((await client(admin.metadata).listAuditLogs({ teamId: teamWire() })).entries).toHaveLength(10);
  });

  it("answers over HTTP, transcoded from the same RPC", async () => {
    const url = `http://${cp.running.httpAddress}/v1/audit-logs?team_id=${teamWire()}&action=api_key.&page_size=2`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${team.apiKey}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { entries: { resourceId: string; result: string }[]; nextPageToken: string };
    expect(body.entries.map((e) => e.resourceId)).toEqual(["res-9", "res-8"]);
    expect(body.nextPageToken).not.toBe("");
    const refused = await fetch(`http://${cp.running.httpAddress}/v1/audit-logs`, { headers: { authorization: `Bearer ${team.apiKey}` } });
    expect(refused.status).toBe(404);
  });
});
