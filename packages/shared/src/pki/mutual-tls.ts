import { credentials, experimental, ServerCredentials, type ChannelCredentials } from "@grpc/grpc-js";

/** A certificate with its key, and the CA its peers must be signed by (all PEM). */
export interface TlsIdentity {
  certificatePem: string;
  privateKeyPem: string;
  caCertificatePem: string;
}

/**
 * An in-memory certificate provider for grpc-js: a server built on it takes a
 * new certificate (rotation) for every connection from the moment `update`
 * is called, without restarting its listener.
 */
export class RotatingCertificates implements experimental.CertificateProvider {
  private identity: TlsIdentity;
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();

  constructor(identity: TlsIdentity) {
    this.identity = identity;
  }

  current(): TlsIdentity {
    return this.identity;
  }

  update(identity: TlsIdentity): void {
    this.identity = identity;
    for (const listener of this.caListeners) listener(this.caUpdate());
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    // Later, not now: grpc-js subscribes before it registers the watcher that applies updates.
    queueMicrotask(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }
  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }
  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate(): experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(this.identity.caCertificatePem) };
  }
  private identityUpdate(): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(this.identity.certificatePem), privateKey: Buffer.from(this.identity.privateKeyPem) };
  }
}

/** Server credentials that demand a client certificate signed by the identity's CA. */
export function mutualTlsServerCredentials(certificates: RotatingCertificates): ServerCredentials {
  return experimental.createCertificateProviderServerCredentials(certificates, certificates, true);
}

/**
 * Channel credentials presenting a client certificate and trusting only the
 * CA; the server's certificate must name `serverName` (a DNS name, since the
 * address dialled is often an IP).
 */
export function mutualTlsChannelCredentials(identity: TlsIdentity, serverName: string): ChannelCredentials {
  return credentials.createSsl(Buffer.from(identity.caCertificatePem), Buffer.from(identity.privateKeyPem), Buffer.from(identity.certificatePem), {
    checkServerIdentity(_hostname, certificate) {
      const names = (certificate.subjectaltname ?? "").split(/,\s*/).map((entry) => entry.replace(/^DNS:/, ""));
      if (names.includes(serverName)) return undefined;
      return new Error(`the host's certificate is not for ${serverName}`);
    },
  });
}
