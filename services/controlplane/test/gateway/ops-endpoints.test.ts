/**
 * The controlplane's HTTP side as a whole (PostgreSQL database of its own,
 * fake host agent): /readyz, /metrics, and a spoofed Upgrade on an ordinary route.
 */
import { connect, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "slonik";
import { createLogger } from "@wrenn/shared";
import { createReadiness } from "../../src/observability/readiness.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { startTestControlPlane, type TestControlPlane } from "../support/test-controlplane.js";
import { createEmptyTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { rawExchange } from "./gateway-fixture.js";

warnIfNoDatabase("controlplane HTTP endpoint tests");

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe.skipIf(!testDatabaseUrl)("/readyz, /metrics and upgrades on the controlplane", () => {
  let host: FakeHostAgent;
  let cp: TestControlPlane;
  let base: string;
  let database: Awaited<ReturnType<typeof createEmptyTestDatabase>>;

  beforeAll(async () => {
    host = await startFakeHostAgent();
    // A database of its own, so the sandbox counts are this file's alone.
    database = await createEmptyTestDatabase();
    cp = await startTestControlPlane({ hostAgentUrl: host.address, databaseUrl: database.url, httpListen: { host: "127.0.0.1", port: 0 } });
    base = `http://${cp.running.httpAddress}`;
  });
  afterAll(async () => {
    await cp?.close();
    await host?.close();
    await database?.drop();
  });

  const metricsText = async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const sample = (text: string, series: string): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it("is ready with the database answering and the host online, without a key", async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: { database: { ok: true, detail: "answers" }, hosts: { ok: true, detail: "1 online" } } });
  });

  it("counts requests by route template and code, and sandboxes by status from the database", async () => {
    const sandbox = (await cp.sandboxes.createSandbox({ templateId: "", metadata: {}, envs: {}, waitReady: true })).sandbox!;
    const get = await fetch(`${base}/v1/sandboxes/${sandbox.sandboxId}`, { headers: { "x-api-key": cp.apiKey } });
    expect(get.status).toBe(200);
    expect((await fetch(`${base}/no/such/route`)).status).toBe(404);

    let text = await metricsText();
    expect(sample(text, 'wrenn_http_request_duration_seconds_count{route="/v1/sandboxes/{sandbox_id}",method="GET",code="200"}')).toBe(1);
    expect(sample(text, 'wrenn_http_request_duration_seconds_count{route="unmatched",method="GET",code="404"}')).toBe(1);
    // Labels are templates: no id ever becomes a series of its own.
    expect(text).not.toContain(sandbox.sandboxId);
    expect(sample(text, 'wrenn_sandboxes{status="running"}')).toBe(1);
    expect(sample(text, 'wrenn_sandboxes{status="stopped"}')).toBe(0);
    expect(sample(text, 'wrenn_proxy_bytes_total{direction="in"}')).toBeGreaterThanOrEqual(0);

    await cp.sandboxes.destroySandbox({ sandboxId: sandbox.sandboxId });
    await expect.poll(async () => sample(await metricsText(), 'wrenn_sandboxes{status="stopped"}'), { timeout: 10_000 }).toBe(1);
    text = await metricsText();
    expect(sample(text, 'wrenn_sandboxes{status="running"}')).toBe(0);
  });

  describe("a spoofed Upgrade on an ordinary route", () => {
    const upgrade = (target: string, extra = "") =>
      rawExchange(
        base,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`,
      );

    it("gets no 101 and no data: with no key, a key in ?token=, or a key header", async () => {
      const sandbox = (await cp.sandboxes.createSandbox({ templateId: "", metadata: {}, envs: {}, waitReady: false })).sandbox!;
      for (const answer of [
        await upgrade("/v1/sandboxes"),
        await upgrade(`/v1/sandboxes?token=${encodeURIComponent(cp.apiKey)}`),
        await upgrade(`/v1/sandboxes/${sandbox.sandboxId}?token=${encodeURIComponent(cp.apiKey)}`),
        await upgrade("/v1/sandboxes", `X-API-Key: ${cp.apiKey}\r\n`),
      ]) {
        expect(answer).toMatch(/^HTTP\/1\.1 400 /);
        expect(answer).not.toContain(" 101 ");
        expect(answer).not.toContain(sandbox.sandboxId);
        expect(answer).toContain('"code":"INVALID_ARGUMENT"');
        // One answer, and the connection closed after it.
        expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      }
      // The same request without the Upgrade header is served: the refusal was the upgrade's.
      const plain = await fetch(`${base}/v1/sandboxes/${sandbox.sandboxId}`, { headers: { "x-api-key": cp.apiKey } });
      expect(plain.status).toBe(200);
    });

    it("reads no key from ?token= on an ordinary route", async () => {
      const res = await fetch(`${base}/v1/sandboxes?token=${encodeURIComponent(cp.apiKey)}`);
      expect(res.status).toBe(401);
    });
  });
});

describe.skipIf(!testDatabaseUrl)("/readyz when something is missing", () => {
  it("is 503 when no host is online", async () => {
    const cp = await startTestControlPlane({ hostAgentUrl: `127.0.0.1:${await closedPort()}`, httpListen: { host: "127.0.0.1", port: 0 } });
    try {
      const res = await fetch(`http://${cp.running.httpAddress}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: "not ready", checks: { database: { ok: true, detail: "answers" }, hosts: { ok: false, detail: "no host online" } } });
      // Health is the process's alone.
      expect((await fetch(`http://${cp.running.httpAddress}/healthz`)).status).toBe(200);
    } finally {
      await cp.close();
    }
  });

  it("fails the database check when the database stops answering", async () => {
    // A TCP relay in front of the real database that can be made to swallow every byte: a hung database.
    let hung = false;
    const target = new URL(testDatabaseUrl!);
    const relay = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      client.on("data", (chunk) => (hung ? undefined : upstream.write(chunk)));
      upstream.on("data", (chunk) => (hung ? undefined : client.write(chunk)));
      for (const socket of [client, upstream]) socket.on("error", () => [client, upstream].forEach((s) => s.destroy()));
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
    const via = new URL(testDatabaseUrl!);
    via.hostname = "127.0.0.1";
    via.port = String((relay.address() as { port: number }).port);
    const pool = await createPool(via.toString(), { connectionTimeout: 1_000 });
    const readiness = createReadiness({ pool, onlineHostIds: () => ["h"], logger: createLogger("readiness-test", { level: "silent" }), databaseTimeoutMs: 500 });
    try {
      expect((await readiness())[0]).toEqual({ name: "database", ok: true, detail: "answers" });
      hung = true;
      expect(await readiness()).toEqual([
        { name: "database", ok: false, detail: "does not answer" },
        { name: "hosts", ok: true, detail: "1 online" },
      ]);
    } finally {
      relay.close();
      void pool.end().catch(() => undefined);
    }
  });
});
