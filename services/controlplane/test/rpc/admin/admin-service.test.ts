import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, Metadata, Status, type Channel } from "nice-grpc";
import { sql } from "slonik";
import { z } from "zod";
import { toWireId } from "@wrenn/shared";
import { AccountServiceDefinition } from "@wrenn/gen/wrenn/api/v1/account.js";
import { AdminServiceDefinition, type AdminServiceClient } from "@wrenn/gen/wrenn/api/v1/admin.js";
import { SandboxStatus } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { createApiKeyRepository } from "../../../src/db/identity/api-key-repository.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../../support/test-controlplane.js";
import { newSessionUser, type SessionUser } from "./sessions.js";

warnIfNoDatabase("admin service tests");

const day = 24 * 3600_000;

/** AdminService through a real controlplane: who may call it, its lists, and what deactivation and deletion do. */
describe.skipIf(!testDatabaseUrl)("AdminService", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let channel: Channel;
  let admin: SessionUser;
  let api: AdminServiceClient;

  const withMetadata = (metadata: Record<string, string>) => ({ "*": { metadata: Metadata(metadata) } });
  const adminAs = (metadata: Record<string, string>) => createClient(AdminServiceDefinition, channel, withMetadata(metadata));
  const status = (promise: Promise<unknown>) => promise.then(() => ({ code: Status.OK, details: "" }), (err: { code: Status; details: string }) => err);

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address });
    channel = createChannel(cp.running.grpcAddress);
    admin = await newSessionUser(cp.running.context.pool, true);
    api = adminAs(admin.metadata);
  });
  afterAll(async () => {
    channel?.close();
    await cp?.close();
    await host?.close();
  });

  /** A user with a session, and an API key of their personal team that they made. */
  async function userWithKey() {
    const user = await newSessionUser(cp.running.context.pool);
    const { secret } = await createApiKeyRepository(cp.running.context.pool).create({ teamId: user.teamId, name: "k", createdBy: user.userId, expiresAt: null });
    return { ...user, key: { authorization: `Bearer ${secret}` }, wire: toWireId("usr", user.userId) };
  }

  it("is NOT_FOUND \"not found\" on every method for API keys (even an admin's) and for other users' sessions", async () => {
    const { secret } = await createApiKeyRepository(cp.running.context.pool).create({ teamId: admin.teamId, name: "admin's key", createdBy: admin.userId, expiresAt: null });
    const callers = [{ authorization: `Bearer ${secret}` }, { authorization: `Bearer ${cp.apiKey}` }, (await newSessionUser(cp.running.context.pool)).metadata];
    const methods = Object.keys(AdminServiceDefinition.methods) as (keyof AdminServiceClient)[];
    expect(methods).toHaveLength(11);
    for (const caller of callers) {
      const client = adminAs(caller) as unknown as Record<string, (request: object) => Promise<unknown>>;
      for (const method of methods) {
        expect(await status(client[method]!({})), method).toEqual(expect.objectContaining({ code: Status.NOT_FOUND, details: "not found" }));
      }
    }
  });

  it("lists users and teams a page at a time, hosts, and every team's sandboxes with their team", async () => {
    const made = await userWithKey();
    const users: string[] = [];
    let pageToken = "";
    do {
      const page = await api.listUsers({ pageSize: 2, pageToken });
      users.push(...page.users.map((u) => u.userId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(users).toEqual(expect.arrayContaining([made.wire, toWireId("usr", admin.userId)]));
    expect(new Set(users).size).toBe(users.length);

    const teams = await api.listAllTeams({ pageSize: 500 });
    expect(teams.teams.map((t) => t.teamId)).toEqual(expect.arrayContaining([toWireId("team", made.teamId), toWireId("team", cp.teamId)]));
    expect((await status(api.listAllTeams({ pageToken: "bogus" }))).code).toBe(Status.INVALID_ARGUMENT);

    const { hosts } = await api.listHosts({});
    expect(hosts.some((h) => h.status === "online" && h.hostId.startsWith("host-"))).toBe(true);

    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const all = await api.listAllSandboxes({});
    const listedForAdmin = all.sandboxes.find((s) => s.sandbox?.sandboxId === sandbox!.sandboxId);
    expect(listedForAdmin?.teamId).toBe(toWireId("team", cp.teamId));
    // The traffic token opens the sandbox's ports: its team sees it, an admin's listing of every team does not.
    expect(sandbox!.trafficToken).toMatch(/^wrt_/);
    expect(listedForAdmin?.sandbox?.trafficToken).toBe("");
    const othersOnly = await api.listAllSandboxes({ teamId: toWireId("team", made.teamId) });
    expect(othersOnly.sandboxes).toEqual([]);
  });

  it("deactivation stops the user's session and keys at once, leaves their sandboxes running; reactivation restores the keys", async () => {
    const user = await userWithKey();
    const asKey = createClient(AccountServiceDefinition, channel, withMetadata(user.key));
    const asSession = createClient(AccountServiceDefinition, channel, withMetadata(user.metadata));
    const { sandbox } = await cp.clientsWith(user.key.authorization.slice("Bearer ".length)).sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    await asSession.whoAmI({});

    const { user: deactivated } = await api.deactivateUser({ userId: user.wire });
    expect(deactivated?.deactivatedAt).toBeInstanceOf(Date);
    expect((await status(asSession.whoAmI({}))).code).toBe(Status.UNAUTHENTICATED);
    expect((await status(asKey.whoAmI({}))).code).toBe(Status.UNAUTHENTICATED);
    const listed = await api.listAllSandboxes({ teamId: toWireId("team", user.teamId) });
    expect(listed.sandboxes.map((s) => [s.sandbox?.sandboxId, s.sandbox?.status])).toEqual([[sandbox!.sandboxId, SandboxStatus.SANDBOX_STATUS_RUNNING]]);

    await api.reactivateUser({ userId: user.wire });
    await asKey.whoAmI({});
    // Sessions were revoked, not suspended: the user signs in again.
    expect((await status(asSession.whoAmI({}))).code).toBe(Status.UNAUTHENTICATED);
  });

  it("deletion answers the purge time 15 days on, hides the user and stops their key; deleting again answers the same", async () => {
    const user = await userWithKey();
    const before = Date.now();
    const { purgeAfter } = await api.deleteUser({ userId: user.wire });
    expect(purgeAfter!.getTime()).toBeGreaterThanOrEqual(before + 15 * day - 1000);
    expect(purgeAfter!.getTime()).toBeLessThanOrEqual(Date.now() + 15 * day + 1000);
    expect((await api.deleteUser({ userId: user.wire })).purgeAfter).toEqual(purgeAfter);
    expect((await status(createClient(AccountServiceDefinition, channel, withMetadata(user.key)).whoAmI({}))).code).toBe(Status.UNAUTHENTICATED);
    expect((await api.listUsers({ pageSize: 500 })).users.map((u) => u.userId)).not.toContain(user.wire);
    expect(await status(api.reactivateUser({ userId: user.wire }))).toMatchObject({ code: Status.NOT_FOUND, details: `user ${user.wire} not found` });
  });

  it("grants and revokes admin, but never the last active admin; unknown and malformed ids are refused", async () => {
    const user = await userWithKey();
    expect((await api.grantAdmin({ userId: user.wire })).user?.admin).toBe(true);
    expect((await api.revokeAdmin({ userId: user.wire })).user?.admin).toBe(false);
    expect((await status(api.grantAdmin({ userId: toWireId("usr", randomUUID()) }))).code).toBe(Status.NOT_FOUND);
    expect((await status(api.grantAdmin({ userId: "alice" }))).code).toBe(Status.INVALID_ARGUMENT);

    // Alone as an admin (the others set aside for this test), the admin cannot revoke, deactivate or delete themself.
    const pool = cp.running.context.pool;
    const others = await pool.any(sql.type(z.object({ id: z.string() }))`
      UPDATE users SET is_admin = false WHERE is_admin AND id <> ${admin.userId}::uuid RETURNING id`);
    try {
      const self = toWireId("usr", admin.userId);
      for (const call of [api.revokeAdmin, api.deactivateUser, api.deleteUser]) {
        expect((await status(call({ userId: self }))).code).toBe(Status.FAILED_PRECONDITION);
      }
      expect((await api.listUsers({})).users.length).toBeGreaterThan(0);
    } finally {
      await pool.query(sql.unsafe`UPDATE users SET is_admin = true WHERE id = ANY(${sql.array(others.map((o) => o.id), "uuid")})`);
    }
  });
});
