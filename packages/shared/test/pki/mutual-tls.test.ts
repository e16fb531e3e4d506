import { afterEach, describe, expect, it } from "vitest";
import { createServer, createChannel, createClient, type Server } from "nice-grpc";
import { credentials } from "@grpc/grpc-js";
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health";
import {
  RotatingCertificates,
  certificatePin,
  createCertificateAuthority,
  createSigningRequest,
  generateKeyPair,
  issueCertificate,
  mutualTlsChannelCredentials,
  mutualTlsServerCredentials,
  signingRequestKey,
  certificateMatchesKey,
  type CertificateAuthority,
  type TlsIdentity,
} from "../../src/pki/index.js";

const serverName = "0123abcd.hosts.wrenn.internal";

async function identityFor(ca: CertificateAuthority, use: "server" | "client", name: string): Promise<TlsIdentity> {
  const pair = await generateKeyPair();
  const csr = await createSigningRequest(pair, name);
  const issued = await issueCertificate({ ca, publicKey: await signingRequestKey(csr), commonName: name, dnsNames: use === "server" ? [name] : [], use, validityDays: 1 });
  return { certificatePem: issued.certificatePem, privateKeyPem: pair.privateKeyPem, caCertificatePem: ca.certificatePem };
}

let server: Server | undefined;
afterEach(async () => {
  await server?.shutdown();
  server = undefined;
});

async function serve(certificates: RotatingCertificates): Promise<string> {
  server = createServer();
  server.add(HealthDefinition, HealthServiceImpl(HealthState()));
  const port = await server.listen("127.0.0.1:0", mutualTlsServerCredentials(certificates));
  return `127.0.0.1:${port}`;
}

function check(address: string, creds: ReturnType<typeof credentials.createInsecure>, name = serverName) {
  const channel = createChannel(address, creds, { "grpc.ssl_target_name_override": name });
  const client = createClient(HealthDefinition, channel);
  return client.check({ service: "" }, { signal: AbortSignal.timeout(5_000) }).finally(() => channel.close());
}

describe("host mutual TLS", () => {
  it("lets in a client certificate from the CA, and nobody else", async () => {
    const ca = await createCertificateAuthority();
    const host = await identityFor(ca, "server", serverName);
    const address = await serve(new RotatingCertificates(host));
    const controlplane = await identityFor(ca, "client", "wrenn-controlplane");

    await expect(check(address, mutualTlsChannelCredentials(controlplane, serverName))).resolves.toMatchObject({ status: 1 });
    // No client certificate, plaintext, a CA of its own, a host's server certificate used as a client one.
    await expect(check(address, credentials.createSsl(Buffer.from(ca.certificatePem)))).rejects.toThrow(/UNAVAILABLE/);
    await expect(check(address, credentials.createInsecure())).rejects.toThrow(/UNAVAILABLE/);
    const stranger = await createCertificateAuthority("someone else");
    const strangerClient = await identityFor(stranger, "client", "wrenn-controlplane");
    await expect(check(address, mutualTlsChannelCredentials({ ...strangerClient, caCertificatePem: ca.certificatePem }, serverName))).rejects.toThrow(/UNAVAILABLE/);
    const otherHost = await identityFor(ca, "server", "other.hosts.wrenn.internal");
    await expect(check(address, mutualTlsChannelCredentials(otherHost, serverName))).rejects.toThrow(/UNAVAILABLE/);
  });

  it("refuses a host whose certificate names another host", async () => {
    const ca = await createCertificateAuthority();
    const address = await serve(new RotatingCertificates(await identityFor(ca, "server", "other.hosts.wrenn.internal")));
    const controlplane = await identityFor(ca, "client", "wrenn-controlplane");
    await expect(check(address, mutualTlsChannelCredentials(controlplane, serverName))).rejects.toThrow(/UNAVAILABLE/);
  });

  it("serves a rotated certificate to new connections without a restart", async () => {
    const ca = await createCertificateAuthority();
    const certificates = new RotatingCertificates(await identityFor(ca, "server", serverName));
    const address = await serve(certificates);
    const controlplane = await identityFor(ca, "client", "wrenn-controlplane");
    await check(address, mutualTlsChannelCredentials(controlplane, serverName));
    const renamed = "fedc4321.hosts.wrenn.internal";
    certificates.update(await identityFor(ca, "server", renamed));
    await expect(check(address, mutualTlsChannelCredentials(controlplane, renamed), renamed)).resolves.toMatchObject({ status: 1 });
    await expect(check(address, mutualTlsChannelCredentials(controlplane, serverName))).rejects.toThrow(/UNAVAILABLE/);
  });
});

describe("signing requests", () => {
  it("gives the requester's key, and a certificate matches only its own key", async () => {
    const ca = await createCertificateAuthority();
    const pair = await generateKeyPair();
    const issued = await issueCertificate({ ca, publicKey: await signingRequestKey(await createSigningRequest(pair, "h")), commonName: "h", use: "server", validityDays: 30 });
    expect(await certificateMatchesKey(issued.certificatePem, pair)).toBe(true);
    expect(await certificateMatchesKey(issued.certificatePem, await generateKeyPair())).toBe(false);
    expect(issued.notAfter.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(issued.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(certificatePin(ca.certificatePem)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("refuses what is not a well-signed P-256 request", async () => {
    await expect(signingRequestKey("hello")).rejects.toThrow(/not a PEM PKCS#10/);
    await expect(signingRequestKey("x".repeat(9000))).rejects.toThrow(/too large/);
    const csr = await createSigningRequest(await generateKeyPair(), "h");
    // Flip a byte inside the signature (the end of the DER).
    const body = csr.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
    const der = Buffer.from(body, "base64");
    der[der.length - 3] ^= 0xff;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signingRequestKey(tampered)).rejects.toThrow(/does not verify|P-256|PKCS#10/);
  });
});
