import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Status } from "nice-grpc";
import { sql } from "slonik";
import { createLogger } from "@wrenn/shared";
import {
  RotatingCertificates,
  certificatePin,
  createSigningRequest,
  generateKeyPair,
  mutualTlsServerCredentials,
  parseHostToken,
  certificateDnsNames,
} from "@wrenn/shared/pki/index";
import { openDatabase, type Database } from "../../src/db/database.js";
import { createHostRepository } from "../../src/db/host-repository.js";
import { createEnrollmentRepository } from "../../src/db/enrollment-repository.js";
import { createHostAuthority } from "../../src/hosts/enrollment/host-authority.js";
import { createHostEnrollment, type HostEnrollment } from "../../src/hosts/enrollment/host-enrollment.js";
import { createHostRegistry, type HostRegistry } from "../../src/hosts/host-registry.js";
import { hostUuidFor } from "../../src/hosts/host-identity.js";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { createEmptyTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("host registration");

const logger = createLogger("enrollment-test", { level: "silent" });

/**
 * Registration against real PostgreSQL (a database of its own: registered
 * hosts are dialled by every registry on the database), and a fake host
 * agent serving the certificate it got over real mutual TLS. The real agent's
 * side is in test/integration/host-registration.test.ts.
 */
describe.skipIf(!testDatabaseUrl)("host registration", () => {
  let own: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
  let db: Database;
  let registry: HostRegistry;
  let enrollment: HostEnrollment;
  const agents: FakeHostAgent[] = [];

  beforeAll(async () => {
    own = await createEmptyTestDatabase();
    db = await openDatabase({ databaseUrl: own.url, dataDir: "/nonexistent", logger });
    const store = createEnrollmentRepository(db.pool);
    const authority = createHostAuthority({ store, hostCertificateDays: 30, logger });
    registry = createHostRegistry({ hostAgentUrl: "none", hosts: createHostRepository(db.pool), logger, heartbeatMs: 60_000, registered: { store, authority, certificateDays: 30 } });
    enrollment = createHostEnrollment({ store, authority, logger, onChange: () => registry.refreshRegistered() });
    await registry.start();
  });
  afterAll(async () => {
    registry?.close();
    await Promise.all(agents.map((agent) => agent.close()));
    await db?.close();
    await own?.drop();
  });

  /** What an agent does: a key pair, a request, RegisterHost; then serve the certificate. */
  async function join(token: string, agentHostId = `host-${Math.random().toString(16).slice(2).padEnd(32, "0").slice(0, 32)}`) {
    const pair = await generateKeyPair();
    const csrPem = await createSigningRequest(pair, agentHostId);
    const answer = await enrollment.register({ token, csrPem, address: "127.0.0.1:1", agentHostId, portProxyAddress: "" });
    return { pair, answer, agentHostId };
  }

  it("makes one-time tokens carrying the CA's pin", async () => {
    const { token, caPin, expiresAt } = await enrollment.createToken(null, 0);
    expect(token).toMatch(/^wrh_[A-Za-z0-9_-]{43}_[0-9a-f]{64}$/);
    expect(parseHostToken(token)?.caPin).toBe(caPin);
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(59 * 60_000);
    await expect(enrollment.createToken(null, 8 * 24 * 3600)).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
    // Only a hash is stored.
    const stored = await db.pool.anyFirst(sql.unsafe`SELECT token_hash FROM host_tokens`);
    expect(stored.some((hash) => token.includes(String(hash)))).toBe(false);
  });

  it("registers a host once per token, with a certificate for its own key and name", async () => {
    const { token, caPin } = await enrollment.createToken(null, 600);
    const { answer, agentHostId } = await join(token);
    expect(certificatePin(answer.caCertificatePem)).toBe(caPin);
    expect(answer.hostId).toBe(hostUuidFor(agentHostId));
    expect(certificateDnsNames(answer.certificatePem)).toEqual([answer.serverName]);
    expect(answer.expiresAt.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
    await expect(join(token)).rejects.toMatchObject({ code: Status.UNAUTHENTICATED });
  });

  it("refuses unknown, expired and other platforms' tokens alike, and a bad request without using the token up", async () => {
    const { token } = await enrollment.createToken(null, 600);
    const refusal = { code: Status.UNAUTHENTICATED, details: "the registration token is not valid (unknown, used or expired)" };
    await expect(join("wrh_nope")).rejects.toMatchObject(refusal);
    await expect(join(token.replace(/_[0-9a-f]{64}$/, `_${"0".repeat(64)}`))).rejects.toMatchObject(refusal);
    await expect(join(`wrh_${"A".repeat(43)}_${token.slice(-64)}`)).rejects.toMatchObject(refusal);
    const agentHostId = "host-00000000000000000000000000000abc";
    const bad = (fields: Partial<{ csrPem: string; address: string; agentHostId: string }>) =>
      enrollment.register({ token, csrPem: "junk", address: "127.0.0.1:1", agentHostId, portProxyAddress: "", ...fields });
    await expect(bad({})).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT, details: expect.stringContaining("csr_pem") });
    await expect(bad({ address: "no port" })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
    await expect(bad({ agentHostId: "" })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
    // Still good after those.
    await expect(join(token)).resolves.toBeDefined();
    const expired = await enrollment.createToken(null, 600);
    await db.pool.query(sql.unsafe`UPDATE host_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`);
    await expect(join(expired.token)).rejects.toMatchObject(refusal);
  });

  it("dials a registered host over mutual TLS only, places on it, and drops it when revoked", async () => {
    const { token } = await enrollment.createToken(null, 600);
    const agentHostId = "host-0123456789abcdef0123456789abcdef";
    const pair = await generateKeyPair();
    const csrPem = await createSigningRequest(pair, agentHostId);
    // As an agent does: register first, then serve what came back (its address is fixed up below, once it listens).
    const registration = await enrollment.register({ token, csrPem, address: "127.0.0.1:1", agentHostId, portProxyAddress: "" });
    const tls = new RotatingCertificates({ certificatePem: registration.certificatePem, privateKeyPem: pair.privateKeyPem, caCertificatePem: registration.caCertificatePem });
    const served = await startFakeHostAgent({ hostId: agentHostId, credentials: mutualTlsServerCredentials(tls) });
    agents.push(served);
    await db.pool.query(sql.unsafe`UPDATE hosts SET address = ${served.address} WHERE id = ${registration.hostId}::uuid`);
    await registry.refreshRegistered();
    await expect.poll(() => registry.onlineHostIds(), { timeout: 15_000 }).toContain(registration.hostId);
    const placed = await registry.pickHost({ templateId: "base" });
    expect(placed.hostId).toBe(registration.hostId);
    placed.answered?.();
    expect(registry.tunnelTlsFor(registration.hostId)?.serverName).toBe(registration.serverName);

    await enrollment.revoke(registration.hostId);
    expect(registry.onlineHostIds()).not.toContain(registration.hostId);
    await expect(registry.pickHost({ templateId: "base" })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    const status = await db.pool.oneFirst(sql.unsafe`SELECT status FROM hosts WHERE id = ${registration.hostId}::uuid`);
    expect(status).toBe("revoked");
    await expect(enrollment.revoke("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: Status.NOT_FOUND });
  });
});
