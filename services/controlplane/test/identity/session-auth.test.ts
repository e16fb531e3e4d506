import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { randomBytes } from "node:crypto";
import { toWireId } from "@wrenn/shared";
import { sql } from "slonik";
import { createSessionRepository } from "../../src/db/identity/session-repository.js";
import { createUserRepository } from "../../src/db/identity/user-repository.js";
import type { SessionStore } from "../../src/identity/identity-store.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { createTestTeam } from "../support/test-team.js";
import { failure, startIdentityStack, type IdentityStack } from "./identity-stack.js";

warnIfNoDatabase("session authentication tests");

describe.skipIf(!testDatabaseUrl)("browser sessions: cookie, CSRF token, team choice", () => {
  let host: FakeHostAgent;
  let cp: IdentityStack;
  let sessions: SessionStore;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startIdentityStack({ databaseUrl: testDatabaseUrl!, hostAgentUrl: host.address });
    sessions = createSessionRepository(cp.running.context.pool);
  });
  afterAll(async () => {
    await cp?.close();
    await host?.close();
  });

  /** A new user with a personal team, signed in: what a login route would have set as cookies. */
  async function signedIn() {
    const email = `s-${randomBytes(5).toString("hex")}@example.test`;
    const made = await createUserRepository(cp.running.context.pool).createWithPersonalTeam({ email, passwordHash: null });
    const { token, session } = await sessions.create(made!.user.id, "127.0.0.1");
    return { ...made!, cookie: `theme=dark; wrenn_session=${token}`, csrf: session.csrfToken, sessionId: session.id };
  }

  it("a GET-rule method needs only the cookie, over HTTP and gRPC", async () => {
    const me = await signedIn();
    const res = await fetch(`${cp.httpUrl}/v1/whoami`, { headers: { cookie: me.cookie } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ credential: "session", user: { email: me.user.email }, team: { teamId: toWireId("team", me.team.id), role: "TEAM_ROLE_OWNER" } });
    const viaGrpc = await cp.clients({ cookie: me.cookie }).account.whoAmI({});
    expect(viaGrpc).toMatchObject({ credential: "session", apiKeyPrefix: "", user: { email: me.user.email } });
  });

  it("a method whose rule is not GET is refused without x-csrf-token, or with a wrong one, and works with the right one", async () => {
    const me = await signedIn();
    const teamId = toWireId("team", me.team.id);
    const url = `${cp.httpUrl}/v1/teams/${teamId}/api-keys`;
    const post = (headers: Record<string, string>) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", cookie: me.cookie, ...headers }, body: JSON.stringify({ name: "from browser" }) });
    expect((await post({})).status).toBe(403);
    expect((await post({ "x-csrf-token": "x".repeat(me.csrf.length) })).status).toBe(403);
    const grpcRefusal = await failure(cp.clients({ cookie: me.cookie }).apiKeys.createApiKey({ teamId, name: "grpc" }));
    expect(grpcRefusal.code).toBe(Status.PERMISSION_DENIED);

    const ok = await post({ "x-csrf-token": me.csrf });
    expect(ok.status).toBe(200);
    const made = (await ok.json()) as { apiKey: { keyId: string } };
    expect(made.apiKey).toMatchObject({ name: "from browser", createdBy: toWireId("usr", me.user.id) });
    const viaGrpc = await cp.clients({ cookie: me.cookie, "x-csrf-token": me.csrf }).apiKeys.listApiKeys({ teamId });
    expect(viaGrpc.apiKeys).toHaveLength(1);
    // A GET over HTTP of a non-GET rule does not exist: the gateway routes by method, the hook reads the rule.
    expect((await fetch(`${cp.httpUrl}/v1/teams/${teamId}/api-keys/${made.apiKey.keyId}`, { headers: { cookie: me.cookie } })).status).toBe(405);
  });

  it("picks the team with x-wrenn-team: a team of the user's, never another (NOT_FOUND); a plain member cannot manage keys", async () => {
    const me = await signedIn();
    const other = await createTestTeam(cp.running.context.pool, "not mine");
    const joined = await createTestTeam(cp.running.context.pool, "joined");
    await cp.running.context.pool.query(sql.unsafe`
      INSERT INTO team_members (team_id, user_id, role) VALUES (${joined.teamId}::uuid, ${me.user.id}::uuid, 'member')`);
    const foreign = toWireId("team", other.teamId);
    const err = await failure(cp.clients({ cookie: me.cookie, "x-wrenn-team": foreign }).account.whoAmI({}));
    expect(err).toMatchObject({ code: Status.NOT_FOUND, details: `team "${foreign}" not found` });
    const member = cp.clients({ cookie: me.cookie, "x-csrf-token": me.csrf, "x-wrenn-team": toWireId("team", joined.teamId) });
    expect((await member.account.whoAmI({})).team).toMatchObject({ teamId: toWireId("team", joined.teamId), role: 3 });
    expect((await failure(member.apiKeys.createApiKey({ teamId: toWireId("team", joined.teamId), name: "no" }))).code).toBe(Status.PERMISSION_DENIED);
    const mine = cp.clients({ cookie: me.cookie, "x-csrf-token": me.csrf });
    expect((await failure(mine.apiKeys.listApiKeys({ teamId: foreign }))).code).toBe(Status.NOT_FOUND);
  });

  it("a revoked session, and any session of a deactivated user, is UNAUTHENTICATED (401)", async () => {
    const revoked = await signedIn();
    await sessions.revoke(revoked.sessionId);
    const deactivated = await signedIn();
    await cp.running.context.pool.query(sql.unsafe`UPDATE users SET deactivated_at = now() WHERE id = ${deactivated.user.id}::uuid`);
    for (const { cookie } of [revoked, deactivated, { cookie: `wrenn_session=wrs_${"B".repeat(43)}` }]) {
      expect((await failure(cp.clients({ cookie }).account.whoAmI({}))).code).toBe(Status.UNAUTHENTICATED);
      const res = await fetch(`${cp.httpUrl}/v1/whoami`, { headers: { cookie } });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="wrenn"');
    }
  });

  it("lets Signup and the /auth/ routes through without a credential", async () => {
    const email = `open-${randomBytes(5).toString("hex")}@example.test`;
    const res = await fetch(`${cp.httpUrl}/v1/signup`, { method: "POST", body: JSON.stringify({ email, password: "correct horse battery" }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { email } });
    // A display name PostgreSQL cannot store (NUL) is the caller's mistake: 400, not 500.
    const nul = await fetch(`${cp.httpUrl}/v1/signup`, {
      method: "POST",
      body: JSON.stringify({ email: `nul-${email}`, password: "correct horse battery", displayName: "a\u0000b" }),
    });
    expect(nul.status).toBe(400);
    // Whatever the route answers (it checks the cookie itself), it is not the hook's refusal.
    const auth = await fetch(`${cp.httpUrl}/auth/session`);
    expect(JSON.stringify(await auth.json())).not.toContain("authentication required");
  });
});
