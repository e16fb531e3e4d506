import { toWireId, type Logger } from "@wrenn/shared";
import {
  certificatePin,
  createCertificateAuthority,
  generateKeyPair,
  issueCertificate,
  signingRequestKey,
  type CertificateAuthority,
  type IssuedCertificate,
  type TlsIdentity,
} from "@wrenn/shared/pki/index";
import type { EnrollmentStore, StoredHostCa } from "./enrollment-store.js";
import { open, seal } from "./secret-box.js";

const keyLabel = "host_ca.private_key";
/** A controlplane copy's client certificate; it makes a new one when half is gone. */
const clientCertificateDays = 30;

export interface HostAuthority {
  /** "sha256:…" of the CA certificate. */
  pin(): Promise<string>;
  caCertificatePem(): Promise<string>;
  /** A serving certificate for a host, from its signing request (which must verify). */
  issueHostCertificate(csrPem: string, hostId: string): Promise<IssuedCertificate & { serverName: string }>;
  /** This copy's client identity for dialling hosts (made at first use, renewed at half its life). */
  clientIdentity(): Promise<TlsIdentity>;
}

/** The DNS name a host's certificate carries and the controlplane checks: the host's own id. */
export function hostServerName(hostId: string): string {
  return `${toWireId("host", hostId)}.hosts.wrenn.internal`;
}

export interface HostAuthorityOptions {
  store: EnrollmentStore;
  secretsKey?: Buffer;
  hostCertificateDays: number;
  logger: Logger;
}

/** The platform's host CA, shared by every copy through its database row. */
export function createHostAuthority(options: HostAuthorityOptions): HostAuthority {
  const { store, secretsKey, logger } = options;
  let loaded: Promise<CertificateAuthority> | undefined;
  let client: { identity: TlsIdentity; renewAt: number } | undefined;

  async function load(): Promise<CertificateAuthority> {
    const stored = await store.hostCa(async (): Promise<StoredHostCa> => {
      const made = await createCertificateAuthority();
      logger.info({ pin: certificatePin(made.certificatePem) }, "host CA created");
      return secretsKey
        ? { certificatePem: made.certificatePem, privateKey: seal(secretsKey, keyLabel, made.privateKeyPem), keyEncryption: "aes-256-gcm" }
        : { certificatePem: made.certificatePem, privateKey: made.privateKeyPem, keyEncryption: "none" };
    });
    if (stored.keyEncryption === "none") {
      logger.warn("the host CA's key is stored unencrypted in the database: set WRENN_SECRETS_KEY (the same on every copy) before the first start");
      return { certificatePem: stored.certificatePem, privateKeyPem: stored.privateKey };
    }
    if (!secretsKey) throw new Error("the host CA's key is encrypted: set WRENN_SECRETS_KEY to the key it was made with");
    try {
      return { certificatePem: stored.certificatePem, privateKeyPem: open(secretsKey, keyLabel, stored.privateKey) };
    } catch {
      throw new Error("WRENN_SECRETS_KEY does not open the host CA's key: every copy must use the key it was made with");
    }
  }

  const ca = () => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };

  return {
    pin: async () => certificatePin((await ca()).certificatePem),
    caCertificatePem: async () => (await ca()).certificatePem,

    async issueHostCertificate(csrPem, hostId) {
      const publicKey = await signingRequestKey(csrPem);
      const serverName = hostServerName(hostId);
      const issued = await issueCertificate({
        ca: await ca(),
        publicKey,
        commonName: toWireId("host", hostId),
        dnsNames: [serverName],
        use: "server",
        validityDays: options.hostCertificateDays,
      });
      return { ...issued, serverName };
    },

    async clientIdentity() {
      if (client && Date.now() < client.renewAt) return client.identity;
      const authority = await ca();
      const pair = await generateKeyPair();
      const issued = await issueCertificate({ ca: authority, publicKey: pair.keys.publicKey, commonName: "wrenn-controlplane", use: "client", validityDays: clientCertificateDays });
      const identity = { certificatePem: issued.certificatePem, privateKeyPem: pair.privateKeyPem, caCertificatePem: authority.certificatePem };
      client = { identity, renewAt: Date.now() + (clientCertificateDays * 86_400_000) / 2 };
      return identity;
    },
  };
}
