import { errors, type Logger } from "@wrenn/shared";
import type { CredentialsServiceImplementation } from "@wrenn/gen/wrenn/hostagent/v1/credentials.js";
import {
  certificateDnsNames,
  certificateMatchesKey,
  certificateNotAfter,
  certificatePin,
  createSigningRequest,
  generateKeyPair,
  pinsEqual,
  type PemKeyPair,
  type RotatingCertificates,
} from "@wrenn/shared/pki/index";
import type { CredentialStore, StoredCredentials } from "./credential-store.js";
import { issuedBy } from "./issued-by.js";

export interface CredentialsServiceOptions {
  certificates: RotatingCertificates;
  store: CredentialStore;
  /** The signing requests' common name: the agent's own host id, as at registration. */
  agentHostId: string;
  /** Known once the agent has registered (before that no caller gets through TLS). */
  registration(): StoredCredentials;
  logger: Logger;
}

/**
 * Certificate rotation, driven by the controlplane over the mutual-TLS
 * channel: a signing request for a new pending key (in memory only; a new
 * request replaces it), then the certificate for it. The CA never changes
 * this way, and the current certificate serves until the new one is stored;
 * from then on every new connection (gRPC and the port tunnel) gets it.
 */
export function createCredentialsService(options: CredentialsServiceOptions): CredentialsServiceImplementation {
  const { certificates, store, logger } = options;
  let pending: PemKeyPair | undefined;
  return {
    async createSigningRequest() {
      const pair = await generateKeyPair();
      pending = pair;
      return { csrPem: await createSigningRequest(pair, options.agentHostId) };
    },
    async installCertificate(request) {
      const current = certificates.current();
      if (!current) throw errors.failedPrecondition("this agent has no certificate to rotate");
      const pair = pending;
      if (!pair) throw errors.failedPrecondition("no signing request is pending: call CreateSigningRequest first");
      let sameCa: boolean;
      let signed: boolean;
      let forPendingKey: boolean;
      let names: string[];
      let expiresAt: Date;
      try {
        sameCa = pinsEqual(certificatePin(request.caCertificatePem), certificatePin(current.caCertificatePem));
        signed = issuedBy(request.certificatePem, request.caCertificatePem);
        forPendingKey = await certificateMatchesKey(request.certificatePem, pair);
        expiresAt = certificateNotAfter(request.certificatePem);
        names = certificateDnsNames(request.certificatePem);
      } catch {
        throw errors.invalidArgument("certificate_pem and ca_certificate_pem must be PEM certificates");
      }
      if (!sameCa) throw errors.failedPrecondition("ca_certificate_pem is not the CA this agent trusts: the CA does not change by rotation");
      if (!signed) throw errors.failedPrecondition("the certificate is not signed by the CA");
      if (!forPendingKey) throw errors.failedPrecondition("the certificate is not for the pending key (of the last CreateSigningRequest)");
      if (expiresAt.getTime() <= Date.now()) throw errors.failedPrecondition("the certificate has expired");
      const { serverName } = options.registration();
      // The controlplane checks this name when it dials: a certificate without it would cut the agent off.
      if (!names.includes(serverName)) throw errors.failedPrecondition(`the certificate does not name this host's server name ${serverName}`);
      const identity = { privateKeyPem: pair.privateKeyPem, certificatePem: request.certificatePem, caCertificatePem: current.caCertificatePem };
      await store.save({ ...options.registration(), identity });
      if (pending === pair) pending = undefined;
      certificates.update(identity);
      logger.info({ expiresAt }, "certificate rotated");
      return { expiresAt };
    },
  };
}
