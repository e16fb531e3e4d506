import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { credentials, type ChannelCredentials } from "@grpc/grpc-js";
import { createChannel, createClient, Status } from "nice-grpc";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { CredentialsServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/credentials.js";
import {
  createCertificateAuthority,
  issueCertificate,
  mutualTlsChannelCredentials,
  parseHostToken,
  signingRequestKey,
  generateKeyPair,
  type TlsIdentity,
} from "@wrenn/shared/pki/index";
import { envdBundle, newSandboxId, startAgent, type AgentProcess } from "../harness.js";
import { issueIdentity, startFakeControlplane, type FakeControlplane } from "./fake-controlplane.js";

/**
 * The real host agent (namespace runtime, child process) joining a fake
 * controlplane with a token: it registers, then serves gRPC and the port
 * tunnel over mutual TLS only, rotates its certificate through
 * CredentialsService, and comes back on the stored set after a restart.
 */
let fake: FakeControlplane;
let dataDir: string;
let agent: AgentProcess | undefined;
let tunnelAddress: string;
/** A name only the rotated certificate carries. */
let rotatedName = "";

function split(address: string): [string, number] {
  const match = /^(.*):(\d+)$/.exec(address)!;
  return [match[1]!, Number(match[2])];
}

function clients(address: string, creds: ChannelCredentials, serverName = fake.serverName) {
  const channel = createChannel(address, creds, { "grpc.ssl_target_name_override": serverName });
  return {
    sandboxes: createClient(SandboxServiceDefinition, channel),
    credentials: createClient(CredentialsServiceDefinition, channel),
    close: () => channel.close(),
  };
}

async function hostInfo(address: string, creds: ChannelCredentials, serverName = fake.serverName) {
  const { sandboxes, close } = clients(address, creds, serverName);
  try {
    return await sandboxes.getHostInfo({}, { signal: AbortSignal.timeout(5_000) });
  } finally {
    close();
  }
}

/** A TLS connection to the port tunnel; resolves with the socket once the handshake is through (the server's certificate checked). */
function tunnelTls(identity: Partial<TlsIdentity>, serverName = fake.serverName): Promise<TLSSocket> {
  const [host, port] = split(tunnelAddress);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, servername: serverName, ca: fake.ca.certificatePem, cert: identity.certificatePem, key: identity.privateKeyPem });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Sends a CONNECT over the socket; the status of the answer, or an error when the server hangs up first. */
function connectStatus(socket: TLSSocket, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (match) {
        resolve(Number(match[1]));
        socket.destroy();
      }
    });
    socket.once("error", reject);
    socket.once("close", () => reject(new Error(`closed without an answer: ${received}`)));
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  });
}

function expectNoToken(lines: string[]) {
  const all = lines.join("\n");
  expect(all).not.toContain(parseHostToken(fake.token)!.secret);
}

const allLines: string[] = [];

beforeAll(async () => {
  fake = await startFakeControlplane();
  dataDir = await mkdtemp(join(tmpdir(), "wrenn-mtls-"));
});

afterAll(async () => {
  if (agent) allLines.push(...agent.logs);
  await agent?.stop();
  await fake?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("a host agent that registers with a token", () => {
  it("registers on its first start, sending its id and advertised addresses, and stores the set", async () => {
    agent = await startAgent({ WRENN_DATA_DIR: dataDir, WRENN_CONTROLPLANE_URL: fake.address, WRENN_REGISTRATION_TOKEN: fake.token });
    tunnelAddress = agent.service.addresses.get("port-proxy")!;
    expect(fake.requests).toHaveLength(1);
    const info = await hostInfo(agent.address, mutualTlsChannelCredentials(fake.client, fake.serverName), fake.serverName);
    expect(fake.requests[0]).toMatchObject({ token: fake.token, address: agent.address, portProxyAddress: tunnelAddress, agentHostId: info.hostId });
    expect(info.portProxyAddress).toBe(tunnelAddress);
    const dir = join(dataDir, "credentials");
    expect((await readdir(dir)).sort()).toEqual(["ca.pem", "host.key", "host.pem", "registration.json"]);
    expect((await stat(join(dir, "host.key"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, "ca.pem"), "utf8")).toBe(fake.ca.certificatePem);
    const registration = JSON.parse(await readFile(join(dir, "registration.json"), "utf8")) as Record<string, string>;
    expect(registration).toMatchObject({ hostId: fake.hostId, serverName: fake.serverName });
    expect(Date.parse(registration.registeredAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(agent.logs.join("\n")).toContain('"tls":"mutual"');
  });

  it("refuses plaintext, TLS without a client certificate, and a host's serving certificate used as a client one", async () => {
    await expect(hostInfo(agent!.address, credentials.createInsecure())).rejects.toThrow(/UNAVAILABLE/);
    await expect(hostInfo(agent!.address, credentials.createSsl(Buffer.from(fake.ca.certificatePem)))).rejects.toThrow(/UNAVAILABLE/);
    const otherHost = await issueIdentity(fake.ca, "server", "other.hosts.wrenn.internal");
    await expect(hostInfo(agent!.address, mutualTlsChannelCredentials(otherHost, fake.serverName))).rejects.toThrow(/UNAVAILABLE/);
    const stranger = await issueIdentity(await createCertificateAuthority("stranger"), "client", "wrenn-controlplane");
    await expect(hostInfo(agent!.address, mutualTlsChannelCredentials({ ...stranger, caCertificatePem: fake.ca.certificatePem }, fake.serverName))).rejects.toThrow(/UNAVAILABLE/);
  });

  it("serves the port tunnel over mutual TLS: no certificate, no tunnel; with one, CONNECT answers (404 for an unknown sandbox)", async () => {
    const target = `${newSandboxId()}:8080`;
    // TLS 1.3: the server's refusal of a missing certificate comes after the client's handshake is done.
    const anonymous = await tunnelTls({}).catch((err: Error) => err);
    if (!(anonymous instanceof Error)) await expect(connectStatus(anonymous, target)).rejects.toThrow();
    const [host, port] = split(tunnelAddress);
    // Plain HTTP to a TLS port: no answer that is HTTP.
    const plain = await new Promise<string>((resolve) => {
      const socket = netConnect({ host, port });
      let got = "";
      socket.on("data", (chunk: Buffer) => (got += chunk.toString("latin1")));
      socket.on("close", () => resolve(got));
      socket.on("error", () => resolve(got));
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      setTimeout(() => socket.destroy(), 3000);
    });
    expect(plain).not.toMatch(/^HTTP\/1\.1 (200|404)/);
    expect(await connectStatus(await tunnelTls(fake.client), target)).toBe(404);
  });

  it("rotates its certificate through CredentialsService: new connections get the new one, on both listeners", async () => {
    const viaMtls = clients(agent!.address, mutualTlsChannelCredentials(fake.client, fake.serverName));
    try {
      const renamed = "rotated.hosts.wrenn.internal";
      const { csrPem } = await viaMtls.credentials.createSigningRequest({});
      const publicKey = await signingRequestKey(csrPem);
      // The rotated certificate also names `renamed`, so a client can tell which one it was served.
      const issue = (ca = fake.ca, key = publicKey, names = [fake.serverName, renamed]) => issueCertificate({ ca, publicKey: key, commonName: "h", dnsNames: names, use: "server", validityDays: 30 });
      await expect(hostInfo(agent!.address, mutualTlsChannelCredentials(fake.client, renamed), renamed)).rejects.toThrow(/UNAVAILABLE/);

      // Bad PEM, a certificate for another key, from another CA, or with another CA: refused, nothing changes.
      await expect(viaMtls.credentials.installCertificate({ certificatePem: "junk", caCertificatePem: fake.ca.certificatePem })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
      const otherKey = (await generateKeyPair()).keys.publicKey;
      await expect(viaMtls.credentials.installCertificate({ certificatePem: (await issue(fake.ca, otherKey)).certificatePem, caCertificatePem: fake.ca.certificatePem })).rejects.toMatchObject({
        code: Status.FAILED_PRECONDITION,
        details: expect.stringMatching(/pending key/),
      });
      const otherCa = await createCertificateAuthority("other");
      await expect(viaMtls.credentials.installCertificate({ certificatePem: (await issue(otherCa)).certificatePem, caCertificatePem: otherCa.certificatePem })).rejects.toMatchObject({
        code: Status.FAILED_PRECONDITION,
        details: expect.stringMatching(/CA does not change/),
      });
      await expect(viaMtls.credentials.installCertificate({ certificatePem: (await issue(otherCa)).certificatePem, caCertificatePem: fake.ca.certificatePem })).rejects.toMatchObject({
        code: Status.FAILED_PRECONDITION,
        details: expect.stringMatching(/not signed by the CA/),
      });
      await expect(viaMtls.credentials.installCertificate({ certificatePem: (await issue(fake.ca, publicKey, [renamed])).certificatePem, caCertificatePem: fake.ca.certificatePem })).rejects.toMatchObject({
        code: Status.FAILED_PRECONDITION,
        details: expect.stringMatching(/server name/),
      });
      const before = await readFile(join(dataDir, "credentials", "host.pem"), "utf8");

      const issued = await issue();
      const { expiresAt } = await viaMtls.credentials.installCertificate({ certificatePem: issued.certificatePem, caCertificatePem: fake.ca.certificatePem });
      expect(expiresAt?.getTime()).toBe(Math.floor(issued.notAfter.getTime() / 1000) * 1000);
      expect(await readFile(join(dataDir, "credentials", "host.pem"), "utf8")).toBe(issued.certificatePem);
      expect(before).not.toBe(issued.certificatePem);
      expect(JSON.parse(await readFile(join(dataDir, "credentials", "registration.json"), "utf8"))).toMatchObject({ hostId: fake.hostId });

      // New gRPC connections get the rotated certificate (the only one naming `renamed`), still for the server name.
      await expect(hostInfo(agent!.address, mutualTlsChannelCredentials(fake.client, renamed), renamed)).resolves.toMatchObject({ runtime: "namespace" });
      await expect(hostInfo(agent!.address, mutualTlsChannelCredentials(fake.client, fake.serverName))).resolves.toMatchObject({ runtime: "namespace" });
      // So do new tunnel connections.
      const socket = await tunnelTls(fake.client, renamed);
      expect(socket.getPeerCertificate().fingerprint256.replace(/:/g, "").toLowerCase()).toBe(issued.fingerprint.replace("sha256:", ""));
      expect(await connectStatus(socket, `${newSandboxId()}:80`)).toBe(404);
      // Still mutual TLS after the new secure context: no client certificate, no answer.
      const anonymous = await tunnelTls({}, renamed).catch((err: Error) => err);
      if (!(anonymous instanceof Error)) await expect(connectStatus(anonymous, `${newSandboxId()}:80`)).rejects.toThrow();
      // The pending key was used up.
      await expect(viaMtls.credentials.installCertificate({ certificatePem: issued.certificatePem, caCertificatePem: fake.ca.certificatePem })).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION });
      rotatedName = renamed;
    } finally {
      viaMtls.close();
    }
  });

  it("comes back after a restart without a token, on the stored (rotated) set, without registering again", async () => {
    allLines.push(...agent!.logs);
    await agent!.stop();
    agent = await startAgent({ WRENN_DATA_DIR: dataDir, WRENN_CONTROLPLANE_URL: fake.address });
    tunnelAddress = agent.service.addresses.get("port-proxy")!;
    expect(fake.requests).toHaveLength(1);
    // The rotated certificate, not the first one.
    await expect(hostInfo(agent.address, mutualTlsChannelCredentials(fake.client, rotatedName), rotatedName)).resolves.toMatchObject({ runtime: "namespace" });
    await expect(hostInfo(agent.address, credentials.createInsecure())).rejects.toThrow(/UNAVAILABLE/);
    expect(await connectStatus(await tunnelTls(fake.client), `${newSandboxId()}:80`)).toBe(404);
  });

  it("never logged the token", () => {
    allLines.push(...agent!.logs);
    expect(allLines.length).toBeGreaterThan(5);
    expectNoToken(allLines);
  });
});

describe("a host agent whose registration is refused", () => {
  for (const [name, setup] of [
    ["a controlplane whose CA is not the token's pin", async (cp: FakeControlplane) => (cp.impostorCa = await createCertificateAuthority("impostor"))],
    ["a bad token (UNAUTHENTICATED)", async (cp: FakeControlplane) => (cp.refuse = Status.UNAUTHENTICATED)],
  ] as const) {
    it(`exits non-zero with a clear message and stores nothing: ${name}`, async () => {
      const cp = await startFakeControlplane();
      const dir = await mkdtemp(join(tmpdir(), "wrenn-mtls-refused-"));
      try {
        await setup(cp);
        const error = await startAgent({ WRENN_DATA_DIR: dir, WRENN_CONTROLPLANE_URL: cp.address, WRENN_REGISTRATION_TOKEN: cp.token }).then(
          async (started) => {
            await started.stop();
            return new Error("it started");
          },
          (err: Error) => err,
        );
        expect(error.message).toMatch(/exited with 1/);
        expect(error.message).toMatch(/does not match the pin|UNAUTHENTICATED/);
        expect(error.message).not.toContain(parseHostToken(cp.token)!.secret);
        expect(cp.requests).toHaveLength(1);
        expect((await readdir(dir)).filter((entry) => entry.startsWith("credentials"))).toEqual([]);
      } finally {
        await cp.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe("a host agent without token or credentials", () => {
  it("stays plaintext, as before, has no CredentialsService (UNIMPLEMENTED), and names the advertised tunnel in GetHostInfo", async () => {
    const plain = await startAgent({ WRENN_PORT_PROXY_ADVERTISE_ADDRESS: "10.9.8.7:5053" });
    try {
      const viaPlain = clients(plain.address, credentials.createInsecure());
      try {
        await expect(viaPlain.sandboxes.getHostInfo({})).resolves.toMatchObject({ runtime: "namespace", portProxyAddress: "10.9.8.7:5053" });
        await expect(viaPlain.credentials.createSigningRequest({})).rejects.toMatchObject({ code: Status.UNIMPLEMENTED });
      } finally {
        viaPlain.close();
      }
      expect(await readdir(plain.dataDir)).not.toContain("credentials");
      expect(plain.logs.join("\n")).toContain('"tls":"none"');
    } finally {
      await plain.stop();
    }
  });
});

describe("a host agent waiting for its controlplane", () => {
  it("logs each attempt, and a SIGTERM meanwhile ends it with exit 0 and nothing stored", async () => {
    const cp = await startFakeControlplane();
    const token = cp.token;
    const down = cp.address;
    await cp.close();
    const dir = await mkdtemp(join(tmpdir(), "wrenn-mtls-wait-"));
    try {
      const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        env: {
          ...process.env,
          WRENN_HOSTAGENT_LISTEN: "127.0.0.1:0",
          WRENN_PORT_PROXY_LISTEN: "127.0.0.1:0",
          WRENN_DATA_DIR: dir,
          WRENN_ENVD_BUNDLE: envdBundle,
          WRENN_RUNTIME: "namespace",
          WRENN_SANDBOX_NETWORK: "isolated",
          WRENN_SANDBOXES_ON_STOP: "destroy",
          WRENN_CONTROLPLANE_URL: down,
          WRENN_REGISTRATION_TOKEN: token,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const output: string[] = [];
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      const twoAttempts = new Promise<void>((resolve) => {
        const onLine = (line: string) => {
          output.push(line);
          if (output.filter((entry) => entry.includes("trying again")).length === 2) resolve();
        };
        createInterface({ input: child.stdout! }).on("line", onLine);
        createInterface({ input: child.stderr! }).on("line", onLine);
      });
      await Promise.race([twoAttempts, exited.then((code) => Promise.reject(new Error(`exited with ${code}: ${output.join("\n")}`)))]);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output.join("\n")).toContain("stopped while waiting to register");
      expect(output.join("\n")).not.toContain('"listening"');
      expectNoToken(output);
      expect((await readdir(dir)).filter((entry) => entry.startsWith("credentials"))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
