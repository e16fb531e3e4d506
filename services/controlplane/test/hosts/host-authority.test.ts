import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { createLogger } from "@wrenn/shared";
import { certificatePin, createSigningRequest, generateKeyPair } from "@wrenn/shared/pki/index";
import { createHostAuthority } from "../../src/hosts/enrollment/host-authority.js";
import { open, seal } from "../../src/hosts/enrollment/secret-box.js";
import { renewalDue } from "../../src/hosts/enrollment/certificate-renewal.js";
import type { EnrollmentStore, StoredHostCa } from "../../src/hosts/enrollment/enrollment-store.js";

const logger = createLogger("authority-test", { level: "silent" });

/** Only the CA row of the store (the rest is tested on PostgreSQL in host-enrollment.test.ts). */
function caRowOnly(): EnrollmentStore & { row?: StoredHostCa } {
  const store = {
    row: undefined as StoredHostCa | undefined,
    async hostCa(create: () => Promise<StoredHostCa>) {
      store.row ??= await create();
      return store.row;
    },
  };
  return store as unknown as EnrollmentStore & { row?: StoredHostCa };
}

describe("host authority", () => {
  it("keeps the CA key sealed when a secrets key is set, and every copy with the key signs with the same CA", async () => {
    const key = randomBytes(32);
    const store = caRowOnly();
    const first = createHostAuthority({ store, secretsKey: key, hostCertificateDays: 30, logger });
    const pin = await first.pin();
    expect(store.row?.keyEncryption).toBe("aes-256-gcm");
    expect(store.row?.privateKey).not.toContain("PRIVATE KEY");
    const second = createHostAuthority({ store, secretsKey: key, hostCertificateDays: 30, logger });
    expect(await second.pin()).toBe(pin);
    const csr = await createSigningRequest(await generateKeyPair(), "h");
    const issued = await second.issueHostCertificate(csr, "0123abcd-0000-4000-8000-000000000000");
    expect(issued.serverName).toBe("host-0123abcd000040008000000000000000.hosts.wrenn.internal");
    expect(certificatePin((await second.clientIdentity()).caCertificatePem)).toBe(pin);
  });

  it("refuses to start with no key or the wrong key for a sealed CA, saying what to set", async () => {
    const store = caRowOnly();
    await createHostAuthority({ store, secretsKey: randomBytes(32), hostCertificateDays: 30, logger }).pin();
    await expect(createHostAuthority({ store, hostCertificateDays: 30, logger }).pin()).rejects.toThrow(/set WRENN_SECRETS_KEY/);
    await expect(createHostAuthority({ store, secretsKey: randomBytes(32), hostCertificateDays: 30, logger }).pin()).rejects.toThrow(/does not open/);
  });

  it("seals so that a value opens only with its key and label", () => {
    const key = randomBytes(32);
    const sealed = seal(key, "a", "secret");
    expect(open(key, "a", sealed)).toBe("secret");
    expect(() => open(key, "b", sealed)).toThrow();
    expect(() => open(randomBytes(32), "a", sealed)).toThrow();
  });

  it("renews in the last third of a certificate's life", () => {
    const now = Date.now();
    const day = 86_400_000;
    expect(renewalDue(new Date(now + 25 * day), 30, now)).toBe(false);
    expect(renewalDue(new Date(now + 9 * day), 30, now)).toBe(true);
    expect(renewalDue(null, 30, now)).toBe(false);
  });
});
