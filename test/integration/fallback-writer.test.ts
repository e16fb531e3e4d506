import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { Redis } from "ioredis";
import { createChannel, createClient, type Channel } from "nice-grpc";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { SandboxServiceDefinition as HostSandboxService, type SandboxServiceClient as HostClient } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { startStack, type Stack } from "@wrenn/devstack";
import { fromWireId, toWireId } from "@wrenn/shared";
import { hostSandboxIds } from "../harness/host-traces.js";

// The fallback writer: each controlplane applies the outcome events on the
// lifecycle stream (wrenn:sandbox-events) through its deployment's consumer
// group, so an outcome still lands when the controlplane that ran the host
// call died after publishing it and before writing it. The test plays that
// other controlplane against the real host agent: it writes the transient
// row, makes the real host call, publishes the outcome and "dies". Only the
// stack's controlplane, through the stream, can then write the row (its
// reconciler leaves a transient row alone for ten minutes).
const stream = "wrenn:sandbox-events";
let stack: Stack;
let client: WrennClient;
let db: pg.Client;
let redis: Redis;
let hostChannel: Channel;
let host: HostClient;

beforeAll(async () => {
  stack = await startStack();
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  redis = new Redis(process.env.REDIS_URL!);
  hostChannel = createChannel(stack.hostagentAddress);
  host = createClient(HostSandboxService, hostChannel);
});

afterAll(async () => {
  hostChannel?.close();
  redis?.disconnect();
  await db?.end();
  client?.close();
  await stack?.close();
});

/**
 * The outcomes the stack's controlplane itself published for a sandbox, by
 * type: the other controlplane runs the same code, so what it publishes has
 * the same shape (whichever id form the stream speaks).
 */
async function publishedFor(sandboxId: string): Promise<Map<string, Record<string, unknown>>> {
  const hex = fromWireId("sb", sandboxId).replaceAll("-", "");
  const byType = new Map<string, Record<string, unknown>>();
  for (const [, fields] of await redis.xrevrange(stream, "+", "-", "COUNT", 2000)) {
    const event = JSON.parse(fields[fields.indexOf("event") + 1]!) as Record<string, unknown>;
    const id = String(event.sandboxId).replace(/^sb-/, "").replaceAll("-", "");
    if (id === hex && !byType.has(String(event.type))) byType.set(String(event.type), event);
  }
  return byType;
}

/** That outcome about another sandbox: its ids swapped (UUID or wire form alike), time now. */
function sameOutcomeFor(event: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  const [a, b] = [fromWireId("sb", from), fromWireId("sb", to)];
  const json = JSON.stringify({ ...event, time: new Date().toISOString() })
    .replaceAll(a, b)
    .replaceAll(a.replaceAll("-", ""), b.replaceAll("-", ""));
  return JSON.parse(json) as Record<string, unknown>;
}

/** What the dead controlplane managed to do last: put the outcome on the stream. */
async function publish(event: Record<string, unknown>): Promise<string> {
  return (await redis.xadd(stream, "*", "event", JSON.stringify(event)))!;
}

function streamIdAtLeast(a: string, b: string): boolean {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  return am! > bm! || (am === bm && as! >= bs!);
}

/** Waits until the stack's deployment group took the entry and acknowledged it (its handler succeeded). */
async function appliedByDeployment(entryId: string): Promise<void> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM deployment");
  const group = `controlplane-outcomes:${rows[0]!.id}`;
  await vi.waitFor(
    async () => {
      const groups = (await redis.call("XINFO", "GROUPS", stream)) as unknown[][];
      const info = groups.map((fields) => Object.fromEntries(fields.flatMap((v, i) => (i % 2 ? [] : [[String(v), fields[i + 1]]])))).find((g) => g.name === group);
      expect(info, `consumer group ${group}`).toBeDefined();
      expect(streamIdAtLeast(String(info!["last-delivered-id"]), entryId), "delivered to the group").toBe(true);
      expect(await redis.xpending(stream, group, entryId, entryId, 1), "still pending").toEqual([]);
    },
    { timeout: 30_000, interval: 100 },
  );
}

async function statusOf(sandboxId: string): Promise<SandboxStatus> {
  return (await client.sandboxes.getSandbox({ sandboxId })).sandbox!.status;
}

async function hostUuid(): Promise<string> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM hosts");
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

describe("the fallback writer applies outcomes another controlplane published and never wrote", () => {
  /** A sandbox this controlplane created and destroyed itself, and the outcomes it published for it. */
  const sample = { id: "", running: {} as Record<string, unknown>, stopped: {} as Record<string, unknown> };

  beforeAll(async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
    sample.id = sandbox!.sandboxId;
    await client.sandboxes.destroySandbox({ sandboxId: sample.id, wait: true });
    const published = await publishedFor(sample.id);
    sample.running = published.get("sandbox.running")!;
    sample.stopped = published.get("sandbox.stopped")!;
    expect(sample.running, "the controlplane's own running outcome").toBeDefined();
    expect(sample.stopped, "the controlplane's own stopped outcome").toBeDefined();
  });

  it("a sandbox it started on the host becomes RUNNING with the host's sizes, and runs commands", async () => {
    const uuid = randomUUID();
    const sandboxId = toWireId("sb", uuid);
    // 1. The other controlplane's row, as its CreateSandbox wrote it: for the caller's team (the one the sample was made for).
    await db.query(
      "INSERT INTO sandboxes (id, template_id, status, host_id, team_id) SELECT $1, 'base', 'starting', $2, team_id FROM sandboxes WHERE id = $3",
      [uuid, await hostUuid(), fromWireId("sb", sample.id)],
    );
    expect(await statusOf(sandboxId)).toBe(SandboxStatus.SANDBOX_STATUS_STARTING);
    // 2. Its host call, for real.
    const { sandbox: made } = await host.createSandbox({ sandboxId, templateId: "base", envs: {}, startTimeoutSeconds: 60, timeoutSeconds: 0 });
    // 3. Its outcome on the stream, and then it is gone.
    const entry = await publish({ ...sameOutcomeFor(sample.running, sample.id, sandboxId), resources: made!.resources });

    await appliedByDeployment(entry);
    const { sandbox } = await client.sandboxes.getSandbox({ sandboxId });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect(sandbox!.resources).toEqual(made!.resources);
    expect((await client.run(sandboxId, "hostname")).stdout).toBe(`${sandboxId}\n`);
    await client.sandboxes.destroySandbox({ sandboxId, wait: true });
    expect(await hostSandboxIds(stack)).not.toContain(sandboxId);
  });

  it("a sandbox it destroyed on the host becomes STOPPED", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
    const sandboxId = sandbox!.sandboxId;
    // The other controlplane's DestroySandbox: the row to stopping, the host call, the outcome.
    const moved = await db.query("UPDATE sandboxes SET status = 'stopping', updated_at = now() WHERE id = $1 AND status = 'running'", [fromWireId("sb", sandboxId)]);
    expect(moved.rowCount).toBe(1);
    await host.destroySandbox({ sandboxId });
    expect(await hostSandboxIds(stack)).not.toContain(sandboxId);
    expect(await statusOf(sandboxId)).toBe(SandboxStatus.SANDBOX_STATUS_STOPPING);
    const entry = await publish(sameOutcomeFor(sample.stopped, sample.id, sandboxId));

    await appliedByDeployment(entry);
    expect(await statusOf(sandboxId)).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    // Settled for good: destroying it again answers at once, as for any stopped sandbox.
    const again = await client.sandboxes.destroySandbox({ sandboxId, wait: false });
    expect(again.sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
  });

  it("an outcome that no longer fits the row changes nothing: a stale stop leaves a running sandbox running", async () => {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
    const sandboxId = sandbox!.sandboxId;
    const entry = await publish(sameOutcomeFor(sample.stopped, sample.id, sandboxId));

    // Applied (acknowledged) and yet nothing changed: the write is conditional on the status it was meant for.
    await appliedByDeployment(entry);
    expect(await statusOf(sandboxId)).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    expect(await hostSandboxIds(stack)).toContain(sandboxId);
    expect((await client.run(sandboxId, "echo", ["still here"])).stdout).toBe("still here\n");
    await client.sandboxes.destroySandbox({ sandboxId, wait: true });
  });
});
