import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { toWireId } from "@wrenn/shared";
import { ApiKeyFormat } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { createTestTeam, type TestTeam } from "../support/test-team.js";
import { failure, startIdentityStack, type IdentityStack } from "./identity-stack.js";

warnIfNoDatabase("E2B-form API key tests");

describe.skipIf(!testDatabaseUrl)("API keys in the E2B form (e2b_ + 64 hex)", () => {
  let host: FakeHostAgent;
  let stack: IdentityStack;
  let team: TestTeam;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    stack = await startIdentityStack({ databaseUrl: testDatabaseUrl!, hostAgentUrl: host.address });
    team = await createTestTeam(stack.running.context.pool, "e2b keys");
  });
  afterAll(async () => {
    await stack?.close();
    await host?.close();
  });

  it("is made on request over gRPC and HTTP, works on both, shows a 12-character prefix, and is revocable", async () => {
    const teamId = toWireId("team", team.teamId);
    const made = await stack.clients({ "x-api-key": team.apiKey }).apiKeys.createApiKey({ teamId, name: "sdk", format: ApiKeyFormat.API_KEY_FORMAT_E2B });
    expect(made.secret).toMatch(/^e2b_[0-9a-f]{64}$/);
    expect(made.apiKey?.prefix).toBe(made.secret.slice(0, 12));

    const viaHttp = await fetch(`${stack.httpUrl}/v1/teams/${teamId}/api-keys`, {
      method: "POST", headers: { "x-api-key": made.secret, "content-type": "application/json" }, body: JSON.stringify({ name: "sdk-http", format: "API_KEY_FORMAT_E2B" }),
    });
    expect(viaHttp.status).toBe(200);
    const second = (await viaHttp.json()) as { secret: string; apiKey: { keyId: string } };
    expect(second.secret).toMatch(/^e2b_[0-9a-f]{64}$/);
    expect(second.secret).not.toBe(made.secret);

    const ways: Record<string, string>[] = [{ authorization: `Bearer ${second.secret}` }, { "x-api-key": second.secret }];
    for (const headers of ways) {
      expect(await stack.clients(headers).account.whoAmI({})).toMatchObject({ credential: "api_key", apiKeyPrefix: second.secret.slice(0, 12), team: { teamId } });
      const res = await fetch(`${stack.httpUrl}/v1/whoami`, { headers });
      expect(res.status).toBe(200);
    }

    await stack.clients({ "x-api-key": team.apiKey }).apiKeys.revokeApiKey({ teamId, keyId: second.apiKey.keyId });
    const err = await failure(stack.clients({ "x-api-key": second.secret }).account.whoAmI({}));
    expect(err).toMatchObject({ code: Status.UNAUTHENTICATED, details: "invalid API key" });
    expect((await fetch(`${stack.httpUrl}/v1/whoami`, { headers: { "x-api-key": second.secret } })).status).toBe(401);
  });

  it("keeps the Wrenn form by default and for API_KEY_FORMAT_WRENN", async () => {
    const teamId = toWireId("team", team.teamId);
    const keys = stack.clients({ "x-api-key": team.apiKey }).apiKeys;
    expect((await keys.createApiKey({ teamId, name: "default" })).secret).toMatch(/^wrn_[A-Za-z0-9_-]{43}$/);
    expect((await keys.createApiKey({ teamId, name: "wrenn", format: ApiKeyFormat.API_KEY_FORMAT_WRENN })).secret).toMatch(/^wrn_/);
    const bad = await failure(keys.createApiKey({ teamId, name: "odd", format: 9 as ApiKeyFormat }));
    expect(bad.code).toBe(Status.INVALID_ARGUMENT);
  });

  it("refuses malformed and unknown e2b_ strings like any bad key, logging the prefix only", async () => {
    const malformed = [`e2b_${"A".repeat(64)}`, `e2b_${"0".repeat(63)}`, `e2b_${"0".repeat(65)}`, "e2b_", `e2b_${"g".repeat(64)}`];
    const unknown = `e2b_${"0".repeat(64)}`;
    for (const key of [...malformed, unknown]) {
      const err = await failure(stack.clients({ "x-api-key": key }).account.whoAmI({}));
      expect(err).toMatchObject({ code: Status.UNAUTHENTICATED, details: "invalid API key" });
      expect((await fetch(`${stack.httpUrl}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    }
    const line = stack.logs.find((l) => l.includes('"unknown key"') && l.includes(unknown.slice(0, 12)));
    expect(line).toBeDefined();
    expect(stack.logs.join("")).not.toContain(unknown.slice(12));
  });
});
