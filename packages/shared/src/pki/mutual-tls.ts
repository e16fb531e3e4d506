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
  private identity: TlsIdentity | null;
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();
  private readonly updateListeners = new Set<(identity: TlsIdentity) => void>();

  /**
   * Without an identity yet (a host agent that has not registered), a server
   * built on it listens but drops every connection until `update`.
   */
  constructor(identity: TlsIdentity | null) {
    this.identity = identity;
  }

  current(): TlsIdentity | null {
    return this.identity;
  }

  update(identity: TlsIdentity): void {
    this.identity = identity;
    for (const listener of this.caListeners) listener(this.caUpdate(identity));
    for (const listener of this.identityListeners) listener(this.identityUpdate(identity));
    for (const listener of this.updateListeners) listener(identity);
  }

  /** Sees every later identity (a TLS server that is not grpc-js's sets its secure context from it). */
  onUpdate(listener: (identity: TlsIdentity) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    // Later, not now: grpc-js subscribes before it registers the watcher that applies updates.
    queueMicrotask(() => this.identity && this.caListeners.has(listener) && listener(this.caUpdate(this.identity)));
  }
  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => this.identity && this.identityListeners.has(listener) && listener(this.identityUpdate(this.identity)));
  }
  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate(identity: TlsIdentity): experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(identity.caCertificatePem) };
  }
  private identityUpdate(identity: TlsIdentity): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(identity.certificatePem), privateKey: Buffer.from(identity.privateKeyPem) };
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
    checkServerIdentity: serverNameCheck(serverName),
  });
}

/** A TLS `checkServerIdentity` that accepts only a certificate naming `serverName` as a DNS name (the address dialled is ignored). */
export function serverNameCheck(serverName: string) {
  return (_hostname: string, certificate: { subjectaltname?: string }): Error | undefined =>
    (certificate.subjectaltname ?? "").split(/,\s*/).includes(`DNS:${serverName}`)
      ? undefined
      : new Error(`the host's certificate is not for ${serverName}`);
}
