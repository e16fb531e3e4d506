/** The host CA as stored: the key sealed (secret-box.ts) or, without WRENN_SECRETS_KEY, as is. */
export interface StoredHostCa {
  certificatePem: string;
  privateKey: string;
  keyEncryption: "none" | "aes-256-gcm";
}

export interface HostRegistration {
  id: string;
  agentHostId: string;
  address: string;
  portProxyAddress: string;
  serverName: string;
  certificateFingerprint: string;
  certificateExpiresAt: Date;
}

/** A registered host as the registry dials it. */
export interface RegisteredHost {
  id: string;
  address: string;
  serverName: string;
  portProxyAddress: string;
  certificateExpiresAt: Date | null;
  revoked: boolean;
}

/** What registration needs from the store of record (db/enrollment-repository.ts). */
export interface EnrollmentStore {
  /** The CA row; when there is none, `create()`'s is inserted (the first of concurrent copies wins) and returned. */
  hostCa(create: () => Promise<StoredHostCa>): Promise<StoredHostCa>;
  createToken(token: { id: string; tokenHash: string; createdBy: string | null; expiresAt: Date }): Promise<void>;
  /**
   * Marks an unexpired, unused token used by `hostId`, in one statement (two
   * agents racing with one token: one wins). False when there is no such token.
   */
  consumeToken(tokenHash: string, hostId: string): Promise<boolean>;
  /** Inserts or re-registers the host (a revoked host registering with a new token is trusted again). */
  saveRegistration(host: HostRegistration): Promise<void>;
  /** A renewed certificate. */
  saveCertificate(hostId: string, fingerprint: string, expiresAt: Date): Promise<void>;
  listRegistered(): Promise<RegisteredHost[]>;
  /** Marks a registered host revoked; hosts from WRENN_HOSTAGENT_URL cannot be (they are trusted by configuration). */
  revoke(hostId: string): Promise<"revoked" | "not_found" | "not_registered">;
}
