import type { Logger } from "@wrenn/shared";
import type { HostConnection } from "../host-connection.js";
import type { HostAuthority } from "./host-authority.js";
import type { EnrollmentStore, RegisteredHost } from "./enrollment-store.js";

const day = 86_400_000;
const callTimeoutMs = 15_000;

export interface RenewalInput {
  hostId: string;
  row: RegisteredHost;
  connection: HostConnection;
  authority: HostAuthority;
  store: EnrollmentStore;
  certificateDays: number;
  logger: Logger;
  now?: number;
}

/** Whether a certificate expiring at `expiresAt` is into the last third of a `certificateDays` life. */
export function renewalDue(expiresAt: Date | null, certificateDays: number, now = Date.now()): boolean {
  if (!expiresAt) return false;
  return expiresAt.getTime() - now < (certificateDays * day) / 3;
}

/**
 * Rotates a registered host's serving certificate over its mutual-TLS
 * channel when it is due: the agent makes a new key pair and a signing
 * request, the CA signs it, the agent installs it. The new expiry is stored
 * after the agent took it, so a failed step leaves the old, still valid
 * certificate in place, to be renewed at a later heartbeat. Resolves with the
 * new expiry, or undefined when nothing was due or a step failed (logged).
 */
export async function renewIfDue(input: RenewalInput): Promise<Date | undefined> {
  const { hostId, connection, authority, store, logger } = input;
  if (!renewalDue(input.row.certificateExpiresAt, input.certificateDays, input.now)) return undefined;
  try {
    const signal = () => AbortSignal.timeout(callTimeoutMs);
    const { csrPem } = await connection.credentials.createSigningRequest({}, { signal: signal() });
    const issued = await authority.issueHostCertificate(csrPem, hostId);
    if (issued.serverName !== input.row.serverName) throw new Error("the host's name changed; it must register again");
    await connection.credentials.installCertificate(
      { certificatePem: issued.certificatePem, caCertificatePem: await authority.caCertificatePem() },
      { signal: signal() },
    );
    await store.saveCertificate(hostId, issued.fingerprint, issued.notAfter);
    logger.info({ hostId, expiresAt: issued.notAfter }, "host certificate renewed");
    return issued.notAfter;
  } catch (err) {
    logger.warn({ hostId, err: (err as Error).message }, "renewing the host's certificate failed; trying again at a later heartbeat");
    return undefined;
  }
}
