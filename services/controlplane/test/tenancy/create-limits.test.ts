import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, Status, type Metadata } from "nice-grpc";
import { sql } from "slonik";
import { SandboxStatus } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestClients, type TestControlPlane } from "../support/test-controlplane.js";
import { apiKeyHeaders } from "../support/test-team.js";

warnIfNoDatabase("create quota and rate limit tests");

const redisUrl = process.env.REDIS_URL;
const request = { templateId: "base", metadata: {}, envs: {}, waitReady: false };

async function refusal(promise: Promise<unknown>): Promise<ClientError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (err instanceof ClientError) return err;
  throw new Error(`expected a refusal, got ${String(err)}`);
}

describe.skipIf(!testDatabaseUrl)("a team's concurrent-sandbox quota", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    cp = await startTestControlPlane({ hostAgentUrl: host.address });
  });
  afterAll(async () => {
    await cp?.close();
    await host?.close();
  });

  it("refuses a create beyond it with RESOURCE_EXHAUSTED, and makes room again once a sandbox is destroyed", async () => {
    await cp.running.context.pool.query(sql.unsafe`UPDATE teams SET sandbox_quota = 2 WHERE id = ${cp.teamId}`);
    const first = (await cp.sandboxes.createSandbox(request)).sandbox!;
    await cp.sandboxes.createSandbox(request);
    const err = await refusal(cp.sandboxes.createSandbox(request));
    expect({ code: err.code, details: err.details }).toEqual({ code: Status.RESOURCE_EXHAUSTED, details: "team has 2 sandboxes, its quota is 2" });
    // Another team is not held back by this one's quota.
    const other = await cp.newTeam();
    expect((await other.sandboxes.createSandbox(request)).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);

    const { sandbox } = await cp.sandboxes.destroySandbox({ sandboxId: first.sandboxId, wait: true });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    expect((await cp.sandboxes.createSandbox(request)).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);
  });
});

/**
 * Two controlplane copies sharing PostgreSQL and Redis, each key allowed 3
 * creates a minute: the count is one for both copies.
 */
describe.skipIf(!testDatabaseUrl || !redisUrl)("the per-key create rate limit, shared by every copy through Redis", () => {
  const perMinute = 3;
  let host: FakeHostAgent;
  let first: TestControlPlane;
  let second: TestControlPlane;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    const config = { hostAgentUrl: host.address, httpListen: { host: "127.0.0.1", port: 0 }, createRatePerMinute: perMinute };
    first = await startTestControlPlane(config);
    second = await startTestControlPlane(config);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await host?.close();
  });

  /** The window is the clock's minute: start a run of calls early in one, so it cannot straddle two. */
  async function freshWindow(): Promise<void> {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 8_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
  }

  async function createWithTrailer(clients: TestClients) {
    let retryAfter: string | undefined;
    const err = await refusal(clients.sandboxes.createSandbox(request, { onTrailer: (t: Metadata) => (retryAfter = t.get("retry-after")) }));
    return { err, retryAfter };
  }

  it("refuses the key's 4th create of the minute, on either copy, with a retry-after; other keys are not affected", async () => {
    await freshWindow();
    const a = first.clientsWith(first.apiKey);
    const aElsewhere = second.clientsWith(first.apiKey);
    await a.sandboxes.createSandbox(request);
    await aElsewhere.sandboxes.createSandbox(request);
    await a.sandboxes.createSandbox(request);

    for (const clients of [a, aElsewhere]) {
      const { err, retryAfter } = await createWithTrailer(clients);
      expect(err.code).toBe(Status.RESOURCE_EXHAUSTED);
      expect(err.details).toMatch(/^create rate limit of 3 per minute reached; retry after \d+ s$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(err.details).toContain(`retry after ${retryAfter} s`);
    }
    // Reads are not creates, and another team's key has its own count.
    expect((await a.sandboxes.listSandboxes({})).sandboxes.length).toBeGreaterThanOrEqual(3);
    const other = await second.newTeam();
    expect((await other.sandboxes.createSandbox(request)).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);
  });

  it("answers HTTP 429 with Retry-After through the gateway", async () => {
    await freshWindow();
    const team = await first.newTeam();
    const post = () =>
      fetch(`http://${first.running.httpAddress}/v1/sandboxes`, {
        method: "POST",
        headers: { ...apiKeyHeaders(team.apiKey), "content-type": "application/json" },
        body: JSON.stringify({ templateId: "base" }),
      });
    for (let i = 0; i < perMinute; i++) expect((await post()).status).toBe(202);
    const refused = await post();
    expect(refused.status).toBe(429);
    const retryAfter = refused.headers.get("retry-after");
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({
      code: "RESOURCE_EXHAUSTED",
      message: `create rate limit of 3 per minute reached; retry after ${retryAfter} s`,
      details: [],
    });
  });
});
