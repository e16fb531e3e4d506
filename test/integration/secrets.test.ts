import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { processesWith, sandboxDir } from "../harness/host-traces.js";
import { logText } from "../harness/service-logs.js";
import { keyHeaders } from "../harness/api-key.js";

// The env values given at create time go to the sandbox and are kept in one
// place only: the host agent's sandbox.json (mode 0600), which a restarted
// agent needs to re-adopt the sandbox (docs/ARCHITECTURE.md, "Restarts lose
// nothing"). Not in the controlplane's database (migrations say so), not on
// the event stream, not in any log, not in any other file, and not after
// the sandbox is gone. The services log at debug level here: the promise
// holds at every level.
const stream = "wrenn:sandbox-events";
const qemuInstalled = (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "qemu-system-x86_64")));
const runtimes = (process.env.WRENN_TEST_RUNTIMES ?? (qemuInstalled ? "namespace,qemu" : "namespace")).split(",");
// Set by each runtime's beforeAll below (the describe blocks run one after the other).
let stack: Stack;
let client: WrennClient;
let redis: Redis;

/**
 * Every regular file under the stack's data dir (both services' state and
 * logs) that contains `needle`. Root filesystems are skipped: the template's
 * is the host's own files and a sandbox's merged root is a view of it plus
 * its upper layer, which is searched.
 */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue;
    if (info.isDirectory()) {
      if (name !== "rootfs") found.push(...(await filesContaining(path, needle)));
    } else if (info.isFile() && (await readFile(path).catch(() => Buffer.alloc(0))).includes(needle)) {
      found.push(path);
    }
  }
  return found;
}

/** Every row of every table of the stack's database, as JSON. */
async function databaseText(): Promise<string> {
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const { rows: tables } = await db.query<{ name: string }>("SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public'");
    expect(tables.map((t) => t.name)).toContain("sandboxes");
    const parts: string[] = [];
    for (const { name } of tables) parts.push(JSON.stringify((await db.query(`SELECT row_to_json(t) AS row FROM ${name} t`)).rows));
    return parts.join("\n");
  } finally {
    await db.end();
  }
}

async function streamTextSince(entryId: string): Promise<string> {
  return JSON.stringify(await redis.xrange(stream, `(${entryId}`, "+"));
}

/** Creates a sandbox with the env, over gRPC or over HTTP/JSON (the gateway), and waits until it runs. */
async function createWith(via: "grpc" | "http", envs: Record<string, string>): Promise<string> {
  if (via === "grpc") {
    const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", envs, waitReady: true });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
    return sandbox!.sandboxId;
  }
  const response = await fetch(`${stack.httpUrl}/v1/sandboxes`, { method: "POST", headers: keyHeaders(stack), body: JSON.stringify({ templateId: "base", envs, waitReady: true }) });
  const body = (await response.json()) as { sandbox: { sandboxId: string; status: string } };
  expect([response.status, body.sandbox.status]).toEqual([200, "SANDBOX_STATUS_RUNNING"]);
  return body.sandbox.sandboxId;
}

describe.each(runtimes)("env values given at create time (%s runtime)", (runtime) => {
  const previousLevel = process.env.WRENN_LOG_LEVEL;

  beforeAll(async () => {
    process.env.WRENN_LOG_LEVEL = "debug";
    stack = await startStack({ runtime: runtime as "namespace" | "qemu", hostagentStartTimeoutMs: 15 * 60_000 });
    client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
    redis = new Redis(process.env.REDIS_URL!);
  }, 16 * 60_000);

  afterAll(async () => {
    if (previousLevel === undefined) delete process.env.WRENN_LOG_LEVEL;
    else process.env.WRENN_LOG_LEVEL = previousLevel;
    redis?.disconnect();
    client?.close();
    await stack?.close();
  });

  it.each(["grpc", "http"] as const)("reach the sandbox and are stored only in the host's sandbox.json, mode 0600 (create over %s)", async (via) => {
    const secret = `s3cr3t-${randomBytes(12).toString("hex")}`;
    // Where the stream stood before: only what this create published is searched.
    const [[before] = ["0-0"]] = await redis.xrevrange(stream, "+", "-", "COUNT", 1);
    const id = await createWith(via, { API_TOKEN: secret, PLAIN: "visible" });

    const seen = await client.run(id, "sh", ["-c", 'printf %s "$API_TOKEN"']);
    expect(seen.stdout, "the process in the sandbox sees it").toBe(secret);

    const record = join(sandboxDir(stack, id), "sandbox.json");
    expect(await filesContaining(stack.dataDir, secret), "files holding it").toEqual([record]);
    expect((await lstat(record)).mode & 0o777).toBe(0o600);
    expect((JSON.parse(await readFile(record, "utf8")) as { envs: Record<string, string> }).envs).toEqual({ API_TOKEN: secret, PLAIN: "visible" });

    expect(await logText(stack, "controlplane"), "the controlplane's log").not.toContain(secret);
    expect(await logText(stack, "hostagent"), "the host agent's log").not.toContain(secret);
    expect(await databaseText(), "the database").not.toContain(secret);
    expect(await processesWith(secret), "host processes with it in their command line").toEqual([]);
    const events = await streamTextSince(before!);
    expect(events, "the event stream (this create's running outcome is on it)").toContain(idHead(id));
    expect(events, "the event stream").not.toContain(secret);

    // Gone with the sandbox: nothing on disk still holds it.
    expect((await client.sandboxes.destroySandbox({ sandboxId: id, wait: true })).sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    expect(await filesContaining(stack.dataDir, secret), "files holding it after destroy").toEqual([]);
  });

  it("are kept across a kill -9 of the host agent, still only in sandbox.json, and its re-adoption logs none", async () => {
    const secret = `s3cr3t-${randomBytes(12).toString("hex")}`;
    const id = await createWith("grpc", { API_TOKEN: secret });
    const record = join(sandboxDir(stack, id), "sandbox.json");
    const reopened = async () => (await logText(stack, "controlplane")).split("event stream reopened").length;
    const before = await reopened();
    await stack.restart("hostagent", { signal: "SIGKILL" });

    // The restarted agent took the sandbox back (from runtime.json and sandbox.json) and relays to it again.
    const adopted = await vi.waitFor(async () => (await client.run(id, "sh", ["-c", 'printf %s "$API_TOKEN"'])).stdout, { timeout: 60_000, interval: 250 });
    expect(adopted).toBe(secret);
    expect(await filesContaining(stack.dataDir, secret), "files holding it").toEqual([record]);
    expect((await lstat(record)).mode & 0o777).toBe(0o600);
    expect(await logText(stack, "hostagent"), "the host agent's log, both runs").not.toContain(secret);
    expect(await logText(stack, "controlplane"), "the controlplane's log").not.toContain(secret);
    // Destroy only once the controlplane has seen the new agent, so this checks the restarted
    // agent's own cleanup of the value (host-reconnect.test.ts covers a destroy sent sooner).
    await expect.poll(reopened, { timeout: 60_000, interval: 100 }).toBeGreaterThan(before);
    const { sandbox } = await client.sandboxes.destroySandbox({ sandboxId: id, wait: true });
    expect(sandbox!.status).toBe(SandboxStatus.SANDBOX_STATUS_STOPPED);
    expect(await filesContaining(stack.dataDir, secret), "files holding it after destroy").toEqual([]);
  });
});

/** The first 8 hex digits of a sandbox id: the same in its wire form and its UUID, whichever the stream carries. */
function idHead(sandboxId: string): string {
  return sandboxId.slice(3, 11);
}
