/**
 * An OIDC / OAuth login in flight, between the redirect to the provider and
 * its callback. Kept in the database (not in memory or a cookie) so that any
 * controlplane copy can finish a login another one started.
 */
export interface PendingOidcLogin {
  provider: string;
  /** PKCE code verifier: sent to the token endpoint, never to the browser. */
  codeVerifier: string;
  nonce: string;
  /** A path on this site, already checked (never an absolute URL). */
  returnTo: string;
}

export interface OidcLoginStore {
  /** Stores a login under sha256(state) for `ttlMs` (by the database's clock, which every copy shares). */
  start(stateHash: Buffer, login: PendingOidcLogin, ttlMs: number): Promise<void>;
  /**
   * Takes the login out for good: deleted in the same statement that reads
   * it, so a state is used once even when two copies see it at once. Null when
   * it is unknown, already used, expired, or another provider's.
   */
  take(stateHash: Buffer, provider: string): Promise<PendingOidcLogin | null>;
  /** Deletes expired logins (nobody came back); returns how many. */
  deleteExpired(): Promise<number>;
}

/** Who a user is at an external provider: (provider, subject) → user (table user_identities). */
export interface UserIdentityStore {
  /** The user this provider's subject signs in as; null when never seen. */
  userOf(provider: string, subject: string): Promise<string | null>;
  /**
   * Links the subject to the user, unless it is linked already (a concurrent
   * first login won): returns the user it is linked to now, either way.
   */
  link(provider: string, subject: string, userId: string): Promise<string>;
}
