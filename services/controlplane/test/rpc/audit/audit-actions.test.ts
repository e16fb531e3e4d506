import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, Metadata, type Channel } from "nice-grpc";
import { toWireId } from "@wrenn/shared";
import { AccountServiceDefinition } from "@wrenn/gen/wrenn/api/v1/account.js";
import { AdminServiceDefinition } from "@wrenn/gen/wrenn/api/v1/admin.js";
import { ApiKeyServiceDefinition } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import { AuditServiceDefinition, type AuditServiceClient } from "@wrenn/gen/wrenn/api/v1/audit.js";
import { TeamRole, TeamServiceDefinition } from "@wrenn/gen/wrenn/api/v1/team.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../../support/test-controlplane.js";
import { newSessionUser, type SessionUser } from "../admin/sessions.js";

warnIfNoDatabase("audit log tests");

/**
 * What the audit log holds after real calls through a real controlplane
 * (PostgreSQL, Redis, fake host agent): one entry per state-changing call,
 * named, with its actor, resource and outcome; reads leave none.
 */
describe.skipIf(!testDatabaseUrl)("audit entries of state-changing calls", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let channel: Channel;
  let admin: SessionUser;
  let teamLog: AuditServiceClient;
  let adminLog: AuditServiceClient;

  const clients = (metadata: Record<string, string>) => {
    const options = { "*": { metadata: Metadata(metadata) } };
    return {
      audit: createClient(AuditServiceDefinition, channel, options),
      admin: createClient(AdminServiceDefinition, channel, options),
      keys: createClient(ApiKeyServiceDefinition, channel, options),
      teams: createClient(TeamServiceDefinition, channel, options),
    };
  };
  const teamWire = () => toWireId("team", cp.teamId);
  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 } });
    channel = createChannel(cp.running.grpcAddress);
    admin = await newSessionUser(cp.running.context.pool, true);
    teamLog = clients({ authorization: `Bearer ${cp.apiKey}` }).audit;
    adminLog = clients(admin.metadata).audit;
  });
  afterAll(async () => {
    channel?.close();
    await cp?.close();
    await host?.close();
  });

  it("records a sandbox's life, acted by the API key, and none of the reads", async () => {
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const sandboxId = sandbox!.sandboxId;
    await cp.sandboxes.getSandbox({ sandboxId });
    await cp.sandboxes.listSandboxes({});
    await cp.sandboxes.destroySandbox({ sandboxId, wait: true });

    const entries = (await teamLog.listAuditLogs({ teamId: teamWire(), resourceId: sandboxId })).entries;
    expect(entries.map((e) => e.action)).toEqual(["sandbox.destroy", "sandbox.create"]);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        teamId: teamWire(), actorUserId: "", actorName: `api-key ${cp.keyPrefix}`, actorKeyPrefix: cp.keyPrefix,
        resourceType: "sandbox", resourceId: sandboxId, result: "success",
      });
      expect(entry.ip).not.toBe("");
    }
  });

  it("records a refused call as a failure with its status code", async () => {
    const missing = toWireId("sb", "00000000-0000-4000-8000-000000000000");
    await expect(cp.sandboxes.destroySandbox({ sandboxId: missing })).rejects.toThrow(/not found/);
    const [entry] = (await teamLog.listAuditLogs({ teamId: teamWire(), resourceId: missing })).entries;
    expect(entry).toMatchObject({ action: "sandbox.destroy", result: "failure", details: { code: "NOT_FOUND" } });
  });

  it("records a streamed process start", async () => {
    const { sandbox } = await cp.sandboxes.createSandbox({ templateId: "base", metadata: {}, envs: {}, waitReady: true });
    const stream = cp.processes.startProcess({ sandboxId: sandbox!.sandboxId, start: { process: { cmd: "echo", args: ["hi"], envs: {} } } });
    for await (const message of stream) void message;
    const [entry] = (await teamLog.listAuditLogs({ teamId: teamWire(), action: "process.start" })).entries;
    expect(entry).toMatchObject({ resourceId: sandbox!.sandboxId, result: "success" });
  });

  it("records API key creation and revocation by a session user, with the user as actor", async () => {
    const owner = { ...(await newSessionUser(cp.running.context.pool)) };
    const keys = clients(owner.metadata).keys;
    const teamId = toWireId("team", owner.teamId);
    const { apiKey } = await keys.createApiKey({ teamId, name: "ci" });
    await keys.revokeApiKey({ teamId, keyId: apiKey!.keyId });
    const entries = (await clients(owner.metadata).audit.listAuditLogs({ teamId, resourceId: apiKey!.keyId })).entries;
    expect(entries.map((e) => e.action)).toEqual(["api_key.revoke", "api_key.create"]);
    expect(entries[0]).toMatchObject({ actorUserId: toWireId("usr", owner.userId), actorName: owner.email, resourceType: "api_key", teamId });
  });

  it("records member changes: invite, join, role change, removal", async () => {
    const owner = await newSessionUser(cp.running.context.pool);
    const joiner = await newSessionUser(cp.running.context.pool);
    // A personal team takes no members: a team of its own.
    const { team } = await clients(owner.metadata).teams.createTeam({ name: "crew" });
    const teamId = team!.teamId;
    const { token } = await clients(owner.metadata).teams.inviteMember({ teamId, email: joiner.email, role: TeamRole.TEAM_ROLE_MEMBER });
    await clients(joiner.metadata).teams.acceptInvite({ token });
    const joinerId = toWireId("usr", joiner.userId);
    await clients(owner.metadata).teams.updateMemberRole({ teamId, userId: joinerId, role: TeamRole.TEAM_ROLE_ADMIN });
    await clients(owner.metadata).teams.removeMember({ teamId, userId: joinerId });
    const entries = (await clients(owner.metadata).audit.listAuditLogs({ teamId, action: "team.member." })).entries;
    expect(entries.map((e) => [e.action, e.actorName])).toEqual([
      ["team.member.remove", owner.email],
      ["team.member.update_role", owner.email],
      ["team.member.join", joiner.email],
      ["team.member.invite", owner.email],
    ]);
    expect(entries[0]!.resourceId).toBe(joinerId);
    const [created] = (await clients(owner.metadata).audit.listAuditLogs({ teamId, action: "team.create" })).entries;
    expect(created).toMatchObject({ resourceId: teamId, actorName: owner.email, result: "success" });
  });

  it("records admin actions in the admin scope, with the admin as actor", async () => {
    const target = await newSessionUser(cp.running.context.pool);
    const userId = toWireId("usr", target.userId);
    const adminApi = clients(admin.metadata).admin;
    await adminApi.grantAdmin({ userId });
    await adminApi.revokeAdmin({ userId });
    await adminApi.deactivateUser({ userId });
    await adminApi.reactivateUser({ userId });
    await adminApi.listUsers({});
    const entries = (await adminLog.listAuditLogs({ resourceId: userId })).entries;
    expect(entries.map((e) => e.action)).toEqual(["admin.user.reactivate", "admin.user.deactivate", "admin.revoke", "admin.grant"]);
    expect(entries[0]).toMatchObject({ actorName: admin.email, actorUserId: toWireId("usr", admin.userId), teamId: "", resourceType: "user" });
    expect(entries.every((e) => e.scope === 2)).toBe(true);
  });

  it("records a signup with the new user as actor, and their cookie login", async () => {
    const email = `signup-${Date.now()}@example.test`;
    const password = "correct horse battery";
    const { user } = await createClient(AccountServiceDefinition, channel).signup({ email, password, displayName: "S" });
    const [signup] = (await adminLog.listAuditLogs({ actorUserId: user!.userId, action: "user.signup" })).entries;
    expect(signup).toMatchObject({ actorName: email, resourceId: user!.userId, result: "success" });
    // Signup needs no credential, so no principal carries the address: the hook hands it over for the audit log.
    expect(signup.ip).toMatch(/127\.0\.0\.1|::1/);

    const login = await fetch(`http://${cp.running.httpAddress}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(200);
    const [entry] = (await adminLog.listAuditLogs({ actorUserId: user!.userId, action: "auth.login" })).entries;
    expect(entry).toMatchObject({ actorName: email, result: "success" });
  });
});
