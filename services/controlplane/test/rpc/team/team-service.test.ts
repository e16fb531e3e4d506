import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, Metadata, Status, type Channel } from "nice-grpc";
import { sql } from "slonik";
import { toWireId } from "@wrenn/shared";
import { TeamRole, TeamServiceDefinition, type TeamServiceClient } from "@wrenn/gen/wrenn/api/v1/team.js";
import { createSessionRepository } from "../../../src/db/identity/session-repository.js";
import { createUserRepository } from "../../../src/db/identity/user-repository.js";
import { failure, startIdentityStack, type IdentityStack } from "../../identity/identity-stack.js";
import { startFakeHostAgent, type FakeHostAgent } from "../../support/fake-host-agent.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../../support/test-database.js";
import { createTestTeam, withApiKey } from "../../support/test-team.js";

warnIfNoDatabase("TeamService tests");

interface Person {
  id: string;
  wireId: string;
  email: string;
  teams: TeamServiceClient;
}

/**
 * Teams as their members use them, over gRPC with real browser sessions
 * (the session cookie and the CSRF header as metadata, checked by the real
 * auth hook), against PostgreSQL.
 */
describe.skipIf(!testDatabaseUrl)("TeamService (PostgreSQL, session callers)", () => {
  let host: FakeHostAgent;
  let stack: IdentityStack;
  let channel: Channel;

  /** A signed-up user with a live session, and a TeamService client calling as them. */
  async function person(name: string): Promise<Person> {
    const pool = stack.running.context.pool;
    const email = `${name}-${randomBytes(4).toString("hex")}@example.test`;
    const created = await createUserRepository(pool).createWithPersonalTeam({ email, displayName: name, passwordHash: null });
    const { token, session } = await createSessionRepository(pool).create(created!.user.id, "127.0.0.1");
    const metadata = Metadata({ cookie: `wrenn_session=${token}`, "x-csrf-token": session.csrfToken });
    const teams = createClient(TeamServiceDefinition, channel, { "*": { metadata } });
    return { id: created!.user.id, wireId: toWireId("usr", created!.user.id), email, teams };
  }

  beforeAll(async () => {
    host = await startFakeHostAgent();
    stack = await startIdentityStack({ databaseUrl: testDatabaseUrl!, hostAgentUrl: host.address });
    channel = createChannel(stack.running.grpcAddress);
  });
  afterAll(async () => {
    channel?.close();
    await stack?.close();
    await host?.close();
  });

  it("invite, accept, roles, remove and leave, each allowed only to the roles that may", async () => {
    const [alice, bob, carol, dave] = await Promise.all(["alice", "bob", "carol", "dave"].map(person));
    const { team } = await alice.teams.createTeam({ name: "  Research  " });
    expect(team).toMatchObject({ name: "Research", role: TeamRole.TEAM_ROLE_OWNER, personal: false });
    // PostgreSQL text cannot hold NUL: the caller's mistake, not INTERNAL.
    expect((await failure(alice.teams.createTeam({ name: "a\u0000b" }))).code).toBe(Status.INVALID_ARGUMENT);
    const teamId = team!.teamId;
    expect((await alice.teams.listTeams({})).teams.map((t) => [t.name, t.personal])).toEqual([
      [expect.any(String), true],
      ["Research", false],
    ]);

    const personal = (await alice.teams.listTeams({})).teams[0];
    const intoPersonal = await failure(alice.teams.inviteMember({ teamId: personal.teamId, email: bob.email, role: TeamRole.TEAM_ROLE_MEMBER }));
    expect(intoPersonal.code).toBe(Status.FAILED_PRECONDITION);

    // Bob is invited as admin; the token works for bob's email only, and once.
    const invite = await alice.teams.inviteMember({ teamId, email: bob.email.toUpperCase(), role: TeamRole.TEAM_ROLE_ADMIN });
    expect(invite.token).toMatch(/^wri_[A-Za-z0-9_-]{43}$/);
    expect((await failure(carol.teams.acceptInvite({ token: invite.token }))).code).toBe(Status.PERMISSION_DENIED);
    expect((await bob.teams.acceptInvite({ token: invite.token })).team).toMatchObject({ teamId, role: TeamRole.TEAM_ROLE_ADMIN });
    expect((await failure(bob.teams.acceptInvite({ token: invite.token }))).code).toBe(Status.NOT_FOUND);
    expect((await failure(alice.teams.inviteMember({ teamId, email: bob.email, role: TeamRole.TEAM_ROLE_MEMBER }))).code).toBe(Status.ALREADY_EXISTS);

    // An admin invites members and admins, not owners.
    expect((await failure(bob.teams.inviteMember({ teamId, email: carol.email, role: TeamRole.TEAM_ROLE_OWNER }))).code).toBe(Status.PERMISSION_DENIED);
    const toCarol = await bob.teams.inviteMember({ teamId, email: carol.email, role: TeamRole.TEAM_ROLE_UNSPECIFIED });
    expect((await carol.teams.acceptInvite({ token: toCarol.token })).team?.role).toBe(TeamRole.TEAM_ROLE_MEMBER);
    const members = (await carol.teams.listMembers({ teamId })).members;
    expect(members.map((m) => [m.email, m.role])).toEqual([
      [alice.email, TeamRole.TEAM_ROLE_OWNER],
      [bob.email, TeamRole.TEAM_ROLE_ADMIN],
      [carol.email, TeamRole.TEAM_ROLE_MEMBER],
    ]);

    // A member lists and leaves, nothing more.
    expect((await failure(carol.teams.inviteMember({ teamId, email: dave.email, role: TeamRole.TEAM_ROLE_MEMBER }))).code).toBe(Status.PERMISSION_DENIED);
    expect((await failure(carol.teams.removeMember({ teamId, userId: bob.wireId }))).code).toBe(Status.PERMISSION_DENIED);
    // An admin moves members between member and admin, and never touches an owner.
    expect((await bob.teams.updateMemberRole({ teamId, userId: carol.wireId, role: TeamRole.TEAM_ROLE_ADMIN })).member?.role).toBe(TeamRole.TEAM_ROLE_ADMIN);
    expect((await bob.teams.updateMemberRole({ teamId, userId: carol.wireId, role: TeamRole.TEAM_ROLE_MEMBER })).member?.role).toBe(TeamRole.TEAM_ROLE_MEMBER);
    expect((await failure(bob.teams.updateMemberRole({ teamId, userId: carol.wireId, role: TeamRole.TEAM_ROLE_OWNER }))).code).toBe(Status.PERMISSION_DENIED);
    expect((await failure(bob.teams.removeMember({ teamId, userId: alice.wireId }))).code).toBe(Status.PERMISSION_DENIED);
    expect((await failure(bob.teams.updateMemberRole({ teamId, userId: alice.wireId, role: TeamRole.TEAM_ROLE_MEMBER }))).code).toBe(Status.PERMISSION_DENIED);

    // The last owner can neither leave nor be demoted, by anyone.
    const lastOwner = await failure(alice.teams.leaveTeam({ teamId }));
    expect(lastOwner).toMatchObject({ code: Status.FAILED_PRECONDITION, details: expect.stringContaining("last owner") });
    expect((await failure(alice.teams.updateMemberRole({ teamId, userId: alice.wireId, role: TeamRole.TEAM_ROLE_ADMIN }))).code).toBe(Status.FAILED_PRECONDITION);
    expect((await failure(alice.teams.removeMember({ teamId, userId: alice.wireId }))).code).toBe(Status.FAILED_PRECONDITION);

    // Removed and left members no longer see the team: the same NOT_FOUND as a team that does not exist.
    await bob.teams.removeMember({ teamId, userId: carol.wireId });
    const gone = await failure(carol.teams.listMembers({ teamId }));
    const missingId = toWireId("team", randomUUID());
    const missing = await failure(carol.teams.listMembers({ teamId: missingId }));
    expect(gone).toMatchObject({ code: Status.NOT_FOUND, details: `team "${teamId}" not found` });
    expect(missing).toMatchObject({ code: Status.NOT_FOUND, details: `team "${missingId}" not found` });
    expect((await failure(dave.teams.inviteMember({ teamId, email: dave.email, role: TeamRole.TEAM_ROLE_MEMBER }))).code).toBe(Status.NOT_FOUND);
    await bob.teams.leaveTeam({ teamId });
    expect((await alice.teams.listMembers({ teamId })).members.map((m) => m.email)).toEqual([alice.email]);
  });

  it("an invite expires after its time and cannot be used then", async () => {
    const [erin, frank] = await Promise.all(["erin", "frank"].map(person));
    const { team } = await erin.teams.createTeam({ name: "expiring" });
    const invite = await erin.teams.inviteMember({ teamId: team!.teamId, email: frank.email, role: TeamRole.TEAM_ROLE_MEMBER });
    const days = (invite.expiresAt!.getTime() - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(7);
    await stack.running.context.pool.query(sql.unsafe`UPDATE team_invites SET expires_at = now() - interval '1 second' WHERE id = ${invite.inviteId}::uuid`);
    expect((await failure(frank.teams.acceptInvite({ token: invite.token }))).code).toBe(Status.NOT_FOUND);
  });

  it("two owners leaving at the same moment: exactly one leaves", async () => {
    const [gina, hugo] = await Promise.all(["gina", "hugo"].map(person));
    const { team } = await gina.teams.createTeam({ name: "two owners" });
    const teamId = team!.teamId;
    const invite = await gina.teams.inviteMember({ teamId, email: hugo.email, role: TeamRole.TEAM_ROLE_OWNER });
    await hugo.teams.acceptInvite({ token: invite.token });
    const outcomes = await Promise.allSettled([gina.teams.leaveTeam({ teamId }), hugo.teams.leaveTeam({ teamId })]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    const stayed = outcomes[0].status === "fulfilled" ? hugo : gina;
    expect((await stayed.teams.listMembers({ teamId })).members).toEqual([expect.objectContaining({ email: stayed.email, role: TeamRole.TEAM_ROLE_OWNER })]);
  });

  it("an API key cannot manage teams: FAILED_PRECONDITION, it needs a signed-in user", async () => {
    const team = await createTestTeam(stack.running.context.pool, "keyed");
    const byKey = createClient(TeamServiceDefinition, channel, withApiKey(team.apiKey));
    const err = await failure(byKey.listMembers({ teamId: toWireId("team", team.teamId) }));
    expect(err).toMatchObject({ code: Status.FAILED_PRECONDITION, details: "team management needs a signed-in user" });
  });
});
