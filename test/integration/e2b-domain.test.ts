import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWrennClient, SandboxStatus, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";
import { e2bDomainEnv, httpsGet, runNodeScript, runPythonScript } from "../harness/e2b-tls.js";
import { mintE2bKey } from "../harness/e2b-stack.js";
import { startHttpServer, writeSite } from "./proxy-sandbox-servers.js";

/**
 * The E2B_DOMAIN form: the SDKs always call https://api.<domain> and
 * https://49983-<id>.<domain>, so the stack runs its TLS listener with a
 * wildcard certificate from a local CA, and `*.localhost` names resolve to
 * loopback through libnss-myhostname (scripts/bootstrap.sh). First the
 * listener itself (names, certificate, the routes behind each host form),
 * then both SDKs configured with nothing but E2B_DOMAIN and E2B_API_KEY.
 */
const domain = "e2b.localhost";
let stack: Stack;
let ca: string;
let port: string;

beforeAll(async () => {
  stack = await startStack({ tls: { domain } });
  ca = await readFile(stack.tls!.caFile, "utf8");
  port = new URL(stack.httpsUrl!).port;
});
afterAll(async () => {
  await stack?.close();
});

describe("TLS listener with a local CA", () => {
  it("resolves api.<domain> and <port>-<id>.<domain> to loopback through the system resolver", async () => {
    for (const name of [`api.${domain}`, `49983-sb${"0".repeat(32)}.${domain}`]) {
      const addresses = await lookup(name, { all: true });
      expect(addresses.length).toBeGreaterThan(0);
      for (const { address } of addresses) expect(["127.0.0.1", "::1"]).toContain(address);
    }
  });

  it("serves /healthz and the API at https://api.<domain>, over HTTP/1.1, with a certificate the local CA signed", async () => {
    const health = await httpsGet(`https://api.${domain}:${port}/healthz`, { ca });
    expect(health.status).toBe(200);
    expect(health.alpn).toBe("http/1.1");
    const whoami = await httpsGet(`https://api.${domain}:${port}/v1/whoami`, { ca, headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(whoami.status).toBe(200);
    expect(JSON.parse(whoami.body)).toHaveProperty("team.teamId");
    // The same listener by address: the certificate names 127.0.0.1 too.
    expect((await httpsGet(`${stack.httpsUrl}/healthz`, { ca })).status).toBe(200);
  });

  it("is refused by a client that does not trust the local CA", async () => {
    await expect(httpsGet(`https://api.${domain}:${port}/healthz`)).rejects.toThrow(/certificate/i);
  });

  describe("the port proxy's host form under TLS", () => {
    let client: WrennClient;
    let sandboxId = "";
    beforeAll(async () => {
      client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
      const { sandbox } = await client.sandboxes.createSandbox({ templateId: "base", waitReady: true });
      expect(sandbox?.status).toBe(SandboxStatus.SANDBOX_STATUS_RUNNING);
      sandboxId = sandbox!.sandboxId;
      await writeSite(client, sandboxId, "/tmp/tls-site");
      await startHttpServer(client, sandboxId, 8000, "/tmp/tls-site");
    });
    afterAll(async () => {
      if (sandboxId) await client.sandboxes.destroySandbox({ sandboxId, wait: true }).catch(() => undefined);
      client?.close();
    });

    it("reaches a web server in the sandbox at https://8000-<sandbox>.<domain>", async () => {
      const page = await httpsGet(`https://8000-${sandboxId}.${domain}:${port}/sub/a.txt`, { ca, headers: { "x-api-key": stack.apiKey } });
      expect(page).toMatchObject({ status: 200, body: "file a" });
    });
  });
});

describe("the e2b SDKs with only E2B_DOMAIN and E2B_API_KEY", () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    env = e2bDomainEnv(stack, await mintE2bKey(stack, "e2b-domain"));
  });

  it("JS SDK: create, commands.run, files write and read, getHost(port) over https through the proxy, kill", async () => {
    const seen = await runNodeScript("domain-sandbox", env, { caFile: stack.tls!.caFile, args: ["8000"] });
    const id = (seen as { sandboxId: string }).sandboxId;
    expect(seen).toEqual({
      sandboxId: expect.stringMatching(/^[a-z0-9]+$/),
      stdout: "over https\n",
      read: "served in the sandbox",
      host: `8000-${id}.${domain}:${port}`,
      page: { status: 200, body: "served in the sandbox" },
      killed: true,
    });
  });

  it("Python SDK: the same calls with the sync client, the CA trusted through SSL_CERT_FILE", async () => {
    const seen = await runPythonScript("domain_sandbox", env, { caFile: stack.tls!.caFile, args: ["8001"] });
    const id = (seen as { sandbox_id: string }).sandbox_id;
    expect(seen).toEqual({
      sandbox_id: expect.stringMatching(/^[a-z0-9]+$/),
      stdout: "over https\n",
      read: "served in the sandbox",
      host: `8001-${id}.${domain}:${port}`,
      page: { status: 200, body: "served in the sandbox" },
      killed: true,
    });
  });
});
