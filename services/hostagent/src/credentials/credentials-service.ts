import { errors, type Logger } from "@wrenn/shared";
import type { CredentialsServiceImplementation } from "@wrenn/gen/wrenn/hostagent/v1/credentials.js";
import {
  certificateMatchesKey,
  certificateNotAfter,
  certificatePin,
  createSigningRequest,
  generateKeyPair,
  type PemKeyPair,
  type RotatingCertificates,
} from "@wrenn/shared/pki/index";
import type { StoredCredentials, credentialStore } from "./credential-store.js";

export interface CredentialsServiceOptions {
  certificates: RotatingCertificates;
  store: ReturnType<typeof credentialStore>;
  /** Known once the agent has registered (before that no caller gets through TLS). */
  registration(): Pick<StoredCredentials, "hostId" | "serverName">;
  logger: Logger;
}

/**
 * Certificate rotation, driven by the controlplane over the mutual-TLS
 * channel: a signing request for a new pending key, then the certificate for
 * it. The CA never changes this way, and the current certificate serves
 * until the new one is stored and installed.
 */
export function createCredentialsService(options: CredentialsServiceOptions): CredentialsServiceImplementation {
  const { certificates, store, logger } = options;
  let pending: PemKeyPair | undefined;
  return {
    async createSigningRequest() {
      pending = await generateKeyPair();
      return { csrPem: await createSigningRequest(pending, options.registration().hostId) };
    },
    async installCertificate(request) {
      const current = certificates.current();
      if (!current) throw errors.failedPrecondition("this agent has no certificate to rotate");
      if (!pending) throw errors.failedPrecondition("no signing request is pending: call CreateSigningRequest first");
      let pinOfNew: string;
      let matches: boolean;
      let expiresAt: Date;
      try {
        pinOfNew = certificatePin(request.caCertificatePem);
        matches = await certificateMatchesKey(request.certificatePem, pending);
        expiresAt = certificateNotAfter(request.certificatePem);
      } catch {
        throw errors.invalidArgument("certificate_pem and ca_certificate_pem must be PEM certificates");
      }
      if (pinOfNew !== certificatePin(current.caCertificatePem)) throw errors.failedPrecondition("the CA does not change by rotation");
      if (!matches) throw errors.failedPrecondition("the certificate is not for the pending key");
      const identity = { privateKeyPem: pending.privateKeyPem, certificatePem: request.certificatePem, caCertificatePem: current.caCertificatePem };
      const { hostId, serverName } = options.registration();
      await store.save({ identity, hostId, serverName });
      pending = undefined;
      certificates.update(identity);
      logger.info({ expiresAt }, "certificate rotated");
      return { expiresAt };
    },
  };
}
