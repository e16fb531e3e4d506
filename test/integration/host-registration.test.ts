import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChannel, createClient, type Channel } from "nice-grpc";
import { createWrennClient, type WrennClient } from "@wrenn/client";
import { startStack, startSupervisedService, type Stack, type SupervisedService } from "@wrenn/devstack";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { adminSessionCookie } from "../harness/admin-session.js";
import { freePort } from "../harness/free-port.js";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { startHttpServer, writeSite } from "./proxy-sandbox-servers.js";

/**
 * A real host agent joining a running platform with a one-time token: it
 * registers, serves mutual TLS only, takes sandboxes, keeps its credentials
 * across a restart, and is cut off when revoked. Beside it, an agent from
 * WRENN_HOSTAGENT_URL (plaintext), as before.
 */
let stack: Stack;
let client: WrennClient;
let joined: SupervisedService | undefined;
let joinedDataDir: string;
let joinedAddress: string;
let cookie: string;
const previousHeartbeat = process.env.WRENN_HOST_HEARTBEAT_MS;

beforeAll(async () => {
  process.env.WRENN_HOST_HEARTBEAT_MS = "500";
  stack = await startStack({ hostagentEnv: { WRENN_NETWORK_PREFIX: "wrg", WRENN_NETWORK_POOL: "10.244.0.0/17" } });
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  cookie = await adminSessionCookie(stack);
  joinedDataDir = await mkdtemp(join(tmpdir(), "wrenn-joined-"));
}, 240_000);

afterAll(async () => {
  client?.close();
  if (joined) {
    // A last start that destroys what it re-adopts on its stop: nothing is left behind.
    await joined.halt().catch(() => {});
    await joined.start({ WRENN_SANDBOXES_ON_STOP: "destroy" }).catch(() => {});
    await joined.stop();
  }
  await stack?.close();
  if (joinedDataDir) await rm(joinedDataDir, { recursive: true, force: true });
  if (previousHeartbeat === undefined) delete process.env.WRENN_HOST_HEARTBEAT_MS;
  else process.env.WRENN_HOST_HEARTBEAT_MS = previousHeartbeat;
}, 120_000);

async function admin(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const csrf = /wrenn_csrf=([^;]+)/.exec(cookie)?.[1] ?? "";
  const response = await fetch(`${stack.httpUrl}${path}`, {
    method,
    headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

interface ApiHost { hostId: string; address: string; status: string; registered?: boolean; certificateExpiresAt?: string }

async function hostAt(address: string): Promise<ApiHost | undefined> {
  const { json } = await admin("GET", "/v1/admin/hosts");
  return (json.hosts as ApiHost[]).find((host) => host.address === address);
}

async function startJoined(env: Record<string, string>): Promise<SupervisedService> {
  return startSupervisedService({
    supervise: false,
    name: "hostagent-joined",
    entry: "services/hostagent/src/main.ts",
    env: {
      WRENN_HOSTAGENT_LISTEN: joinedAddress,
      WRENN_PORT_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
      WRENN_DATA_DIR: joinedDataDir,
      WRENN_RUNTIME: "namespace",
      WRENN_SANDBOX_NETWORK: "isolated",
      WRENN_NETWORK_PREFIX: "wrg2",
      WRENN_NETWORK_POOL: "10.244.128.0/17",
      // Kept: the restart below must find its sandbox again; afterAll ends them.
      WRENN_SANDBOXES_ON_STOP: "keep",
      WRENN_CONTROLPLANE_URL: stack.grpcAddress,
      ...env,
    },
    logFile: join(stack.logDir, "hostagent-joined.log"),
    listeners: ["grpc", "port-proxy"],
    startTimeoutMs: 120_000,
  });
}

describe("a host agent that joins with a registration token", () => {
  let token: string;
  let onJoined: string | undefined;

  it("gets a one-time token from a platform admin (an API key is NOT_FOUND)", async () => {
    const refused = await fetch(`${stack.httpUrl}/v1/admin/host-tokens`, { method: "POST", headers: { authorization: `Bearer ${stack.apiKey}` }, body: "{}" });
    expect(refused.status).toBe(404);
    const { status, json } = await admin("POST", "/v1/admin/host-tokens", { ttlSeconds: 600 });
    expect(status).toBe(200);
    token = json.token as string;
    expect(token).toMatch(/^wrh_/);
    expect(token.endsWith((json.caPin as string).replace("sha256:", ""))).toBe(true);
  });

  it("registers, is listed online as registered, and serves mutual TLS only", async () => {
    joinedAddress = `127.0.0.1:${await freePort()}`;
    joined = await startJoined({ WRENN_REGISTRATION_TOKEN: token });
    await expect.poll(async () => (await hostAt(joinedAddress))?.status, { timeout: 30_000, interval: 250 }).toBe("online");
    const host = (await hostAt(joinedAddress))!;
    expect(host.registered).toBe(true);
    expect(new Date(host.certificateExpiresAt!).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect((await readdir(join(joinedDataDir, "credentials"))).sort()).toEqual(expect.arrayContaining(["ca.pem", "host.key", "host.pem"]));
    // A plaintext caller (anyone on the network) gets nothing from it.
    const channel: Channel = createChannel(joinedAddress);
    try {
      await expect(createClient(SandboxServiceDefinition, channel).listSandboxes({}, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow(/UNAVAILABLE|DEADLINE/);
    } finally {
      channel.close();
    }
    // The token is spent: a second agent cannot use it.
    const again = await fetch(`${stack.httpUrl}/v1/hosts/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, csrPem: "x", address: "127.0.0.1:1", agentHostId: "other" }),
    });
    expect([400, 401]).toContain(again.status);
    // The agent's log never shows the token.
    expect(joined.current.lines.join("\n")).not.toContain(token.slice(4, 30));
  }, 120_000);

  it("takes sandboxes beside the configured agent, and they answer exec through the authenticated channel", async () => {
    const hostIds = new Set<string>();
    const made: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
      made.push(sandbox!.sandboxId);
    }
    const joinedHost = (await hostAt(joinedAddress))!;
    const { json } = await admin("GET", "/v1/admin/sandboxes");
    for (const entry of json.sandboxes as { sandbox: { sandboxId: string; hostId: string } }[]) {
      if (made.includes(entry.sandbox.sandboxId)) hostIds.add(entry.sandbox.hostId);
    }
    expect(hostIds.size).toBe(2);
    expect(hostIds).toContain(joinedHost.hostId);
    for (const id of made) {
      const result = await client.run(id, "echo", ["hello"]);
      expect(result.stdout).toBe("hello\n");
    }
    onJoined = (json.sandboxes as { sandbox: { sandboxId: string; hostId: string } }[]).find(
      (entry) => made.includes(entry.sandbox.sandboxId) && entry.sandbox.hostId === joinedHost.hostId,
    )?.sandbox.sandboxId;
    expect(onJoined).toBeDefined();
  }, 180_000);

  it("reaches a web server in its sandbox through the port proxy, over the mutual-TLS tunnel", async () => {
    await writeSite(client, onJoined!, "/tmp/joined-site");
    await startHttpServer(client, onJoined!, 8123, "/tmp/joined-site");
    await expect
      .poll(async () => {
        const response = await fetch(`${stack.httpUrl}/proxy/${onJoined}/8123/`, { headers: { "x-api-key": stack.apiKey } });
        return `${response.status} ${await response.text()}`;
      }, { timeout: 30_000, interval: 500 })
      .toBe("200 home page");
  }, 60_000);

  it("has its certificate renewed over the channel when it nears expiry, and keeps serving", async () => {
    const before = await readFile(join(joinedDataDir, "credentials", "host.pem"), "utf8");
    const host = (await hostAt(joinedAddress))!;
    // As if 25 of its 30 days had gone: the next heartbeat (500 ms here) renews it.
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      await db.query("UPDATE hosts SET certificate_expires_at = now() + interval '5 days' WHERE address = $1", [joinedAddress]);
    } finally {
      await db.end();
    }
    await expect
      .poll(async () => new Date((await hostAt(joinedAddress))!.certificateExpiresAt!).getTime(), { timeout: 30_000, interval: 500 })
      .toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const after = await readFile(join(joinedDataDir, "credentials", "host.pem"), "utf8");
    expect(after).not.toBe(before);
    expect((await client.run(onJoined!, "echo", ["renewed"])).stdout).toBe("renewed\n");
    expect((await hostAt(joinedAddress))!.hostId).toBe(host.hostId);
  }, 60_000);

  it("comes back after a kill with the credentials it stored, without a token", async () => {
    await joined!.restart({ signal: "SIGKILL", env: { WRENN_REGISTRATION_TOKEN: undefined } });
    await expect.poll(async () => (await hostAt(joinedAddress))?.status, { timeout: 30_000, interval: 250 }).toBe("online");
    await expect.poll(async () => (await client.run(onJoined!, "echo", ["back"]).catch(() => ({ stdout: "" }))).stdout, { timeout: 30_000, interval: 500 }).toBe("back\n");
  }, 120_000);

  it("is cut off when revoked: listed revoked, not placed on, its sandboxes unreachable", async () => {
    const host = (await hostAt(joinedAddress))!;
    const { status, json } = await admin("POST", `/v1/admin/hosts/${host.hostId}/revoke`);
    expect(status).toBe(200);
    expect((json.host as ApiHost).status).toBe("revoked");
    for (let i = 0; i < 3; i++) {
      const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
      expect(sandbox!.hostId).not.toBe(host.hostId);
    }
    await expect(client.run(onJoined!, "true")).rejects.toThrow(/UNAVAILABLE/);
    // The configured (plaintext) host cannot be revoked this way.
    const configured = (await hostAt(stack.hostagentAddress))!;
    expect((await admin("POST", `/v1/admin/hosts/${configured.hostId}/revoke`)).status).toBe(400);
  }, 180_000);
});
