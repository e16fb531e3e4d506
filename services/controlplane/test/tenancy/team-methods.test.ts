import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { createChannel, createClient, Metadata, Status, type Channel } from "nice-grpc";
import { sql } from "slonik";
import { fromWireId, toWireId } from "@wrenn/shared";
import { TeamRole, TeamServiceDefinition } from "@wrenn/gen/wrenn/api/v1/team.js";
import { ApiKeyServiceDefinition } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import { createSessionRepository } from "../../src/db/identity/session-repository.js";
import type { Route } from "../../src/gateway/routes.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { apiKeyHeaders } from "../support/test-team.js";
import { callGrpc, callHttp, requestJson, teamMethods, type Answer, type Targets } from "./team-methods.js";

warnIfNoDatabase("cross-team tests of team-scoped methods");

const methods = teamMethods();
const serviceOf = (route: Route) => route.grpcPath.split("/")[1];

/**
 * TeamService is a person's business: an API key is refused before the team
 * is looked at (rpc/team/team-caller.ts, signedInUser), the same for any team,
 * so it tells an outsider nothing either. Every other method answers an
 * outsider NOT_FOUND; AdminService's says "not found" to every non-admin
 * (rpc/admin/admin-caller.ts), which the comparison with an unknown team covers.
 */
const keyRefusedBy = new Set(["wrenn.api.v1.TeamService"]);

interface Caller {
  name: string;
  metadata: () => grpc.Metadata;
  headers: Record<string, string>;
}

/**
 * Team A (not a personal team: an owner, a member who accepted an invite, an
 * API key) and team B, whose key and signed-in owner call every method that
 * names a team with A's id. Each must answer exactly what a team nobody has
 * answers, and a caller without a credential is refused before anything.
 */
describe.skipIf(!testDatabaseUrl)("another team, on every method that names one (PostgreSQL, Redis)", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let client: grpc.Client;
  let channel: Channel;
  let base: string;
  let targets: Targets;
  let aKey: string;
  let outsiders: Caller[];
  let asOwnerA: ReturnType<typeof clientsOf>;
  let before: Awaited<ReturnType<typeof stateOfA>>;
  const unknownTeam = toWireId("team", randomUUID());

  const clientsOf = (metadata: Record<string, string>) => {
    const options = { "*": { metadata: Metadata(metadata) } };
    return { teams: createClient(TeamServiceDefinition, channel, options), keys: createClient(ApiKeyServiceDefinition, channel, options) };
  };
  /** What a login would have given the user: the session cookie and its CSRF token, sent on every call as a browser does. */
  async function signIn(userId: string): Promise<Record<string, string>> {
    const { token, session } = await createSessionRepository(cp.running.context.pool).create(userId, "127.0.0.1");
    return { cookie: `wrenn_session=${token}`, "x-csrf-token": session.csrfToken };
  }
  async function stateOfA() {
    const { members } = await asOwnerA.teams.listMembers({ teamId: targets.teamId });
    const { apiKeys } = await asOwnerA.keys.listApiKeys({ teamId: targets.teamId });
    const invites = await cp.running.context.pool.oneFirst(sql.unsafe`SELECT count(*)::int FROM team_invites WHERE team_id = ${fromWireId("team", targets.teamId)}`);
    return {
      members: members.map((m) => ({ userId: m.userId, role: m.role })).sort((x, y) => x.userId.localeCompare(y.userId)),
      keys: apiKeys.map((k) => ({ keyId: k.keyId, name: k.name, revokedAt: k.revokedAt, expiresAt: k.expiresAt })),
      invites: invites as number,
    };
  }
  /** The answer with the team's id taken out: a not-found message names the id it was given. */
  const withoutTeam = (answer: Answer, teamId: string) => ({ code: answer.code, message: answer.message.replaceAll(teamId, "<team>") });

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 } });
    client = new grpc.Client(cp.running.grpcAddress, grpc.credentials.createInsecure());
    channel = createChannel(cp.running.grpcAddress);
    base = `http://${cp.running.httpAddress}`;

    const ownerA = await cp.newTeam("a's owner");
    const memberA = await cp.newTeam("a's member");
    asOwnerA = clientsOf(await signIn(ownerA.userId));
    const { team } = await asOwnerA.teams.createTeam({ name: "team a" });
    const teamId = team!.teamId;
    const { apiKey, secret } = await asOwnerA.keys.createApiKey({ teamId, name: "a's key" });
    aKey = secret;
    const email = await cp.running.context.pool.oneFirst(sql.unsafe`SELECT email FROM users WHERE id = ${memberA.userId}`);
    const { token } = await asOwnerA.teams.inviteMember({ teamId, email: email as string, role: TeamRole.TEAM_ROLE_MEMBER });
    await clientsOf(await signIn(memberA.userId)).teams.acceptInvite({ token });
    targets = { teamId, userId: toWireId("usr", memberA.userId), keyId: apiKey!.keyId };
    before = await stateOfA();
    expect(before.members).toHaveLength(2);

    const teamB = await cp.newTeam("team b");
    const session = await signIn(teamB.userId);
    outsiders = [
      { name: "team B's API key", metadata: () => metadataOf(apiKeyHeaders(teamB.apiKey)), headers: apiKeyHeaders(teamB.apiKey) },
      { name: "team B's signed-in owner", metadata: () => metadataOf(session), headers: session },
    ];
  });
  afterAll(async () => {
    client?.close();
    channel?.close();
    await cp?.close();
    await host?.close();
  });

  it("finds the team-scoped methods in the descriptor set, each with an HTTP binding", () => {
    expect(methods.map((m) => m.grpcPath)).toEqual(
      expect.arrayContaining([
        "/wrenn.api.v1.TeamService/ListMembers",
        "/wrenn.api.v1.TeamService/InviteMember",
        "/wrenn.api.v1.TeamService/UpdateMemberRole",
        "/wrenn.api.v1.TeamService/RemoveMember",
        "/wrenn.api.v1.TeamService/LeaveTeam",
        "/wrenn.api.v1.ApiKeyService/CreateApiKey",
        "/wrenn.api.v1.ApiKeyService/ListApiKeys",
        "/wrenn.api.v1.ApiKeyService/RevokeApiKey",
        "/wrenn.api.v1.AuditService/ListAuditLogs",
        "/wrenn.api.v1.AdminService/ListAllSandboxes",
      ]),
    );
  });

  it.each(methods.map((m) => [m.grpcPath, m] as const))("%s: an outsider gets what an unknown team gets, over gRPC and HTTP; no credential is UNAUTHENTICATED", async (_path, route) => {
    const theirs = requestJson(route, targets);
    const nobodys = { ...theirs, teamId: unknownTeam };
    for (const caller of outsiders) {
      const expected = caller.name.endsWith("key") && keyRefusedBy.has(serviceOf(route)) ? Status.FAILED_PRECONDITION : Status.NOT_FOUND;
      const unknown = await callGrpc(client, route, nobodys, caller.metadata());
      expect({ caller: caller.name, code: unknown.code }).toEqual({ caller: caller.name, code: expected });
      const answer = await callGrpc(client, route, theirs, caller.metadata());
      expect({ caller: caller.name, ...withoutTeam(answer, targets.teamId) }).toEqual({ caller: caller.name, ...withoutTeam(unknown, unknownTeam) });

      const unknownHttp = await callHttp(base, route, nobodys, caller.headers);
      expect({ caller: caller.name, code: unknownHttp.code }).toEqual({ caller: caller.name, code: expected === Status.NOT_FOUND ? 404 : 400 });
      const answerHttp = await callHttp(base, route, theirs, caller.headers);
      expect({ caller: caller.name, ...withoutTeam(answerHttp, targets.teamId) }).toEqual({ caller: caller.name, ...withoutTeam(unknownHttp, unknownTeam) });
    }
    expect((await callGrpc(client, route, theirs, new grpc.Metadata())).code).toBe(Status.UNAUTHENTICATED);
    const anonymous = await callHttp(base, route, theirs, {});
    expect(anonymous.code).toBe(401);
    expect(anonymous.wwwAuthenticate).toMatch(/^Bearer realm="wrenn"/);
  });

  it("left team A as it was: the same members and roles, its key listed, unrevoked and working, no invite added", async () => {
    expect(await stateOfA()).toEqual(before);
    const keys = await fetch(`${base}/v1/teams/${targets.teamId}/api-keys`, { headers: apiKeyHeaders(aKey) });
    expect(keys.status).toBe(200);
    expect(((await keys.json()) as { apiKeys: { keyId: string }[] }).apiKeys.map((k) => k.keyId)).toContain(targets.keyId);
  });
});

function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
}
