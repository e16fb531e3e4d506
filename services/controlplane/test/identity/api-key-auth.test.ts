import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { toWireId } from "@wrenn/shared";
import { sql } from "slonik";
import { createApiKeyRepository } from "../../src/db/identity/api-key-repository.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { createTestTeam, type TestTeam } from "../support/test-team.js";
import { failure, startIdentityStack, type IdentityStack } from "./identity-stack.js";

warnIfNoDatabase("API key authentication tests");

describe.skipIf(!testDatabaseUrl)("API keys over gRPC and HTTP (two controlplanes, one PostgreSQL)", () => {
  let host: FakeHostAgent;
  let a: IdentityStack;
  let b: IdentityStack;
  let team: TestTeam;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    a = await startIdentityStack({ databaseUrl: testDatabaseUrl!, hostAgentUrl: host.address });
    b = await startIdentityStack({ databaseUrl: testDatabaseUrl!, hostAgentUrl: host.address });
    team = await createTestTeam(a.running.context.pool, "key tests");
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await host?.close();
  });

  it("refuses a call without a credential: UNAUTHENTICATED over gRPC, 401 with WWW-Authenticate over HTTP", async () => {
    const err = await failure(a.clients().account.whoAmI({}));
    expect(err.code).toBe(Status.UNAUTHENTICATED);
    const res = await fetch(`${a.httpUrl}/v1/whoami`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="wrenn"');
    expect(await res.json()).toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("accepts the key as Bearer and as X-API-Key, over gRPC and HTTP", async () => {
    const wantTeam = toWireId("team", team.teamId);
    const ways: Record<string, string>[] = [{ authorization: `Bearer ${team.apiKey}` }, { "x-api-key": team.apiKey }];
    for (const headers of ways) {
      const viaGrpc = await a.clients(headers).account.whoAmI({});
      expect(viaGrpc).toMatchObject({ credential: "api_key", apiKeyPrefix: team.keyPrefix, team: { teamId: wantTeam } });
      expect(viaGrpc.user).toBeUndefined();
      const res = await fetch(`${a.httpUrl}/v1/whoami`, { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ credential: "api_key", apiKeyPrefix: team.keyPrefix, team: { teamId: wantTeam } });
    }
  });

  it("a key revoked through one controlplane is refused by the other on its very next call", async () => {
    const own = await createTestTeam(a.running.context.pool, "revoke");
    const viaA = a.clients({ "x-api-key": own.apiKey });
    const viaB = b.clients({ authorization: `Bearer ${own.apiKey}` });
    await viaB.account.whoAmI({});
    const { apiKeys } = await viaA.apiKeys.listApiKeys({ teamId: toWireId("team", own.teamId) });
    const revoked = await viaA.apiKeys.revokeApiKey({ teamId: toWireId("team", own.teamId), keyId: apiKeys[0].keyId });
    expect(revoked.apiKey?.revokedAt).toBeInstanceOf(Date);
    const err = await failure(viaB.account.whoAmI({}));
    expect(err.code).toBe(Status.UNAUTHENTICATED);
    expect(err.details).toBe("invalid API key");
    const res = await fetch(`${b.httpUrl}/v1/whoami`, { headers: { "x-api-key": own.apiKey } });
    expect(res.status).toBe(401);
  });

  it("refuses an expired key, an unknown key and a malformed one with the same message", async () => {
    const pool = a.running.context.pool;
    const { secret } = await createApiKeyRepository(pool).create({ teamId: team.teamId, name: "short-lived", createdBy: team.userId, expiresAt: new Date(Date.now() + 60_000) });
    await a.clients({ "x-api-key": secret }).account.whoAmI({});
    await pool.query(sql.unsafe`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE prefix = ${secret.slice(0, 12)}`);
    const unknown = `wrn_${"A".repeat(43)}`;
    for (const key of [secret, unknown, "not-a-key"]) {
      const err = await failure(a.clients({ "x-api-key": key }).account.whoAmI({}));
      expect(err).toMatchObject({ code: Status.UNAUTHENTICATED, details: "invalid API key" });
    }
  });

  it("logs a refused key with the caller's address and the key's prefix, never the key", async () => {
    const { secret, key } = await createApiKeyRepository(a.running.context.pool).create({ teamId: team.teamId, name: "to log", createdBy: null, expiresAt: null });
    await createApiKeyRepository(a.running.context.pool).revoke(team.teamId, key.id);
    await failure(a.clients({ "x-api-key": secret }).account.whoAmI({}));
    await fetch(`${a.httpUrl}/v1/whoami`, { headers: { authorization: `Bearer ${secret}`, "x-wrenn-client-ip": "203.0.113.9" } });
    const lines = a.logs.filter((line) => line.includes('"authentication failed"') && line.includes(key.prefix));
    expect(lines.length).toBe(2);
    for (const line of lines) {
      const entry = JSON.parse(line);
      expect(entry).toMatchObject({ level: 40, keyPrefix: key.prefix, reason: "revoked key", ip: "127.0.0.1" });
    }
    expect(a.logs.join("").includes(secret)).toBe(false);
    expect(a.logs.join("").includes(secret.slice(12))).toBe(false);
  });

  it("stops the keys a user made once the user is deactivated; keys made at bootstrap keep working", async () => {
    const pool = a.running.context.pool;
    const other = await createTestTeam(pool, "deactivated");
    const ownerless = await createApiKeyRepository(pool).create({ teamId: other.teamId, name: "no creator", createdBy: null, expiresAt: null });
    await pool.query(sql.unsafe`UPDATE users SET deactivated_at = now() WHERE id = ${other.userId}::uuid`);
    expect((await failure(a.clients({ "x-api-key": other.apiKey }).account.whoAmI({}))).code).toBe(Status.UNAUTHENTICATED);
    expect((await a.clients({ "x-api-key": ownerless.secret }).account.whoAmI({})).credential).toBe("api_key");
  });

  it("manages keys of its own team only: another team's is NOT_FOUND like a team that does not exist", async () => {
    const other = await createTestTeam(a.running.context.pool, "other");
    const mine = a.clients({ "x-api-key": team.apiKey }).apiKeys;
    const made = await mine.createApiKey({ teamId: toWireId("team", team.teamId), name: "ci" });
    expect(made.secret).toMatch(/^wrn_[A-Za-z0-9_-]{43}$/);
    expect(made.apiKey).toMatchObject({ name: "ci", prefix: made.secret.slice(0, 12), createdBy: toWireId("usr", team.userId) });
    expect((await a.clients({ "x-api-key": made.secret }).account.whoAmI({})).team?.teamId).toBe(toWireId("team", team.teamId));
    const listed = await mine.listApiKeys({ teamId: toWireId("team", team.teamId) });
    expect(listed.apiKeys.map((k) => k.keyId)).toContain(made.apiKey!.keyId);
    expect(JSON.stringify(listed)).not.toContain(made.secret);

    const foreign = toWireId("team", other.teamId);
    const missing = toWireId("team", "00000000-0000-4000-8000-000000000000");
    for (const teamId of [foreign, missing]) {
      for (const call of [() => mine.createApiKey({ teamId, name: "x" }), () => mine.listApiKeys({ teamId })]) {
        const err = await failure(call());
        expect(err).toMatchObject({ code: Status.NOT_FOUND, details: `team "${teamId}" not found` });
      }
    }
    const theirs = (await a.clients({ "x-api-key": other.apiKey }).apiKeys.listApiKeys({ teamId: foreign })).apiKeys[0];
    expect((await failure(mine.revokeApiKey({ teamId: foreign, keyId: theirs.keyId }))).code).toBe(Status.NOT_FOUND);
    expect((await failure(mine.revokeApiKey({ teamId: toWireId("team", team.teamId), keyId: theirs.keyId }))).code).toBe(Status.NOT_FOUND);
    expect((await a.clients({ "x-api-key": other.apiKey }).account.whoAmI({})).credential).toBe("api_key");
  });

  it("refuses a blank or over-long name and a past expiry (INVALID_ARGUMENT); a future expiry is kept", async () => {
    const keys = a.clients({ "x-api-key": team.apiKey }).apiKeys;
    const teamId = toWireId("team", team.teamId);
    // A NUL reached PostgreSQL once (the fuzz stage's INTERNAL): text there cannot hold it.
    for (const request of [{ name: "  " }, { name: "x".repeat(101) }, { name: "a\u0000b" }, { name: "old", expiresAt: new Date(Date.now() - 1000) }]) {
      expect((await failure(keys.createApiKey({ teamId, ...request }))).code).toBe(Status.INVALID_ARGUMENT);
    }
    const expiresAt = new Date(Date.now() + 3600_000);
    const made = await keys.createApiKey({ teamId, name: "x".repeat(100), expiresAt });
    expect(made.apiKey?.expiresAt?.getTime()).toBe(expiresAt.getTime());
  });

  it("sets last_used_at on use, and does not rewrite it within the minute", async () => {
    const own = await createTestTeam(a.running.context.pool, "last used");
    const client = a.clients({ "x-api-key": own.apiKey });
    const before = (await client.apiKeys.listApiKeys({ teamId: toWireId("team", own.teamId) })).apiKeys[0];
    expect(before.lastUsedAt).toBeInstanceOf(Date);
    await client.account.whoAmI({});
    const after = (await client.apiKeys.listApiKeys({ teamId: toWireId("team", own.teamId) })).apiKeys[0];
    expect(after.lastUsedAt).toEqual(before.lastUsedAt);
  });
});
