import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createNetServer } from "node:net";
import { Status } from "nice-grpc";
import { createLogger, type Logger } from "@wrenn/shared";
import { certificatePin, createCertificateAuthority, generateKeyPair, issueCertificate, parseHostToken } from "@wrenn/shared/pki/index";
import { credentialStore } from "../../src/credentials/credential-store.js";
import { prepareHostTls, dialable } from "../../src/credentials/host-tls.js";
import { RegistrationAborted, RegistrationRefused } from "../../src/credentials/register-with-controlplane.js";
import { loadHostAgentConfig } from "../../src/config.js";
import { startFakeControlplane, type FakeControlplane } from "./fake-controlplane.js";

/**
 * Registration against a fake controlplane (a real gRPC server signing with a
 * CA of its own): what is checked before anything is stored, what is retried,
 * and that the token never shows in a log line.
 */
let dataDir: string;
let fake: FakeControlplane | undefined;
const lines: string[] = [];

function capturingLogger(): Logger {
  lines.length = 0;
  return createLogger("hostagent", { level: "debug", destinations: [{ write: (line: string) => void lines.push(line) }] });
}

const bound = { address: "0.0.0.0:41001", portProxyAddress: "0.0.0.0:41002" };

afterEach(async () => {
  await fake?.close();
  fake = undefined;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function newDataDir() {
  dataDir = await mkdtemp(join(tmpdir(), "wrenn-reg-"));
  return dataDir;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function expectNoToken(token: string) {
  const secret = parseHostToken(token)!.secret;
  const all = lines.join("");
  expect(all).not.toContain(secret);
  expect(all).not.toContain(token);
}

describe("registering with a token", () => {
  it("sends the advertised addresses and a CSR, checks the answer, stores the set, and never logs the token", async () => {
    fake = await startFakeControlplane();
    const logger = capturingLogger();
    const tls = await prepareHostTls({ registration: { controlplaneUrl: fake.address, token: fake.token } }, await newDataDir(), "agent-host-1", logger);
    expect(tls!.certificates.current()).toBeNull();
    const registered = await tls!.ready(bound);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request).toMatchObject({ token: fake.token, address: "127.0.0.1:41001", portProxyAddress: "127.0.0.1:41002", agentHostId: "agent-host-1" });
    expect(request!.csrPem).toMatch(/BEGIN CERTIFICATE REQUEST/);
    expect(registered).toMatchObject({ hostId: fake.hostId, serverName: fake.serverName });
    expect(tls!.certificates.current()).toEqual(registered.identity);
    expect((await readdir(join(dataDir, "credentials"))).sort()).toEqual(["ca.pem", "host.key", "host.pem", "registration.json"]);
    // A second start finds them and does not register again, even with a token.
    const again = await prepareHostTls({ registration: { controlplaneUrl: fake.address, token: fake.token } }, dataDir, "agent-host-1", logger);
    expect(again!.certificates.current()).toEqual(registered.identity);
    await again!.ready(bound);
    expect(fake.requests).toHaveLength(1);
    expect(lines.join("")).toContain("already registered");
    expectNoToken(fake.token);
  });

  it("uses WRENN_ADVERTISE_ADDRESS and WRENN_PORT_PROXY_ADVERTISE_ADDRESS when set", async () => {
    fake = await startFakeControlplane();
    const tls = await prepareHostTls(
      { registration: { controlplaneUrl: fake.address, token: fake.token }, advertiseAddress: "10.1.2.3:50052", portProxyAdvertiseAddress: "10.1.2.3:50053" },
      await newDataDir(),
      "h",
      capturingLogger(),
    );
    await tls!.ready(bound);
    expect(fake.requests[0]).toMatchObject({ address: "10.1.2.3:50052", portProxyAddress: "10.1.2.3:50053" });
    expect(dialable("[::]:5")).toBe("127.0.0.1:5");
    expect(dialable("192.168.0.4:5")).toBe("192.168.0.4:5");
  });

  it("refuses an answer whose CA is not the token's pin, and stores nothing", async () => {
    fake = await startFakeControlplane();
    fake.impostorCa = await createCertificateAuthority("impostor");
    const tls = await prepareHostTls({ registration: { controlplaneUrl: fake.address, token: fake.token } }, await newDataDir(), "h", capturingLogger());
    await expect(tls!.ready(bound)).rejects.toThrow(RegistrationRefused);
    await expect(tls!.ready(bound)).rejects.toThrow(/does not match the pin/);
    expect(await readdir(dataDir)).toEqual([]);
    expect(tls!.certificates.current()).toBeNull();
  });

  for (const code of [Status.UNAUTHENTICATED, Status.PERMISSION_DENIED, Status.INVALID_ARGUMENT]) {
    it(`stops at once on ${Status[code]}, stores nothing, and names no token`, async () => {
      fake = await startFakeControlplane();
      fake.refuse = code;
      const logger = capturingLogger();
      const tls = await prepareHostTls({ registration: { controlplaneUrl: fake.address, token: fake.token } }, await newDataDir(), "h", logger);
      const error = (await tls!.ready(bound).catch((err: unknown) => err)) as Error;
      expect(error).toBeInstanceOf(RegistrationRefused);
      expect(error.message).toContain(Status[code]);
      expect(error.message).not.toContain(parseHostToken(fake.token)!.secret);
      expect(fake.requests).toHaveLength(1);
      expect(await readdir(dataDir)).toEqual([]);
      expectNoToken(fake.token);
    });
  }

  it("retries while the controlplane is down (logging each attempt), then registers", async () => {
    const port = await freePort();
    const ca = await createCertificateAuthority("later");
    const first = await startFakeControlplane({ ca });
    const token = first.token;
    await first.close();
    const logger = capturingLogger();
    const tls = await prepareHostTls({ registration: { controlplaneUrl: `127.0.0.1:${port}`, token } }, await newDataDir(), "h", logger);
    const started = Date.now();
    const registering = tls!.ready(bound);
    await new Promise((resolve) => setTimeout(resolve, 1800));
    // 0.5 s, then 1 s: two failed attempts so far, none stored.
    const attempts = lines.filter((line) => line.includes("trying again"));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(attempts[1]!)).toMatchObject({ attempt: 2, retryInMs: 1000 });
    expect(await readdir(dataDir)).toEqual([]);
    fake = await startFakeControlplane({ listen: `127.0.0.1:${port}`, ca, token });
    const registered = await registering;
    expect(Date.now() - started).toBeLessThan(8000);
    expect(certificatePin(registered.identity.caCertificatePem)).toBe(certificatePin(ca.certificatePem));
    expect(await readdir(join(dataDir, "credentials"))).toContain("host.key");
    expectNoToken(token);
  });

  it("gives up quietly when stopped while waiting for the controlplane", async () => {
    const port = await freePort();
    fake = await startFakeControlplane();
    const token = fake.token;
    const tls = await prepareHostTls({ registration: { controlplaneUrl: `127.0.0.1:${port}`, token } }, await newDataDir(), "h", capturingLogger());
    const stop = new AbortController();
    const registering = tls!.ready(bound, stop.signal);
    setTimeout(() => stop.abort(), 700);
    await expect(registering).rejects.toThrow(RegistrationAborted);
    expect(await readdir(dataDir)).toEqual([]);
  });
});

describe("stored credentials", () => {
  it("start at once, and an expired certificate is a loud error saying what to do", async () => {
    fake = await startFakeControlplane();
    const pair = await generateKeyPair();
    const issued = await issueCertificate({ ca: fake.ca, publicKey: pair.keys.publicKey, commonName: "h", dnsNames: ["h"], use: "server", validityDays: -0.001 });
    await credentialStore(await newDataDir()).save({
      identity: { privateKeyPem: pair.privateKeyPem, certificatePem: issued.certificatePem, caCertificatePem: fake.ca.certificatePem },
      hostId: "x",
      serverName: "h",
      registeredAt: new Date().toISOString(),
    });
    const tls = await prepareHostTls({}, dataDir, "h", capturingLogger());
    expect(tls!.certificates.current()?.certificatePem).toBe(issued.certificatePem);
    expect(tls!.registration()).toMatchObject({ hostId: "x" });
    expect(lines.join("")).toMatch(/"level":50.*stored certificate has expired/);
  });
});

describe("registration config", () => {
  const base = { WRENN_DATA_DIR: "/tmp/x" };
  it("needs both the token and the URL, and never echoes the token", () => {
    const token = `wrh_${"A".repeat(43)}_${"0".repeat(64)}`;
    expect(() => loadHostAgentConfig({ ...base, WRENN_REGISTRATION_TOKEN: token })).toThrow(/WRENN_REGISTRATION_TOKEN needs WRENN_CONTROLPLANE_URL/);
    const bad = "wrh_not-a-real-token-secret-value";
    const error = (() => {
      try {
        loadHostAgentConfig({ ...base, WRENN_REGISTRATION_TOKEN: bad, WRENN_CONTROLPLANE_URL: "127.0.0.1:1" });
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error?.message).toMatch(/WRENN_REGISTRATION_TOKEN: is not a registration token/);
    expect(error?.message).not.toContain("not-a-real");
    const config = loadHostAgentConfig({ ...base, WRENN_REGISTRATION_TOKEN: token, WRENN_CONTROLPLANE_URL: "cp.example:50051" });
    expect(config.registration).toEqual({ controlplaneUrl: "cp.example:50051", token });
    expect(loadHostAgentConfig(base).registration).toBeUndefined();
  });

  it("refuses the URL without a token when nothing is stored (a restart after registering may keep it)", async () => {
    await expect(prepareHostTls({ controlplaneUrl: "127.0.0.1:1" }, await newDataDir(), "h", capturingLogger())).rejects.toThrow(
      /WRENN_CONTROLPLANE_URL is set but WRENN_REGISTRATION_TOKEN is not/,
    );
    expect(await prepareHostTls({}, dataDir, "h", capturingLogger())).toBeUndefined();
  });
});
