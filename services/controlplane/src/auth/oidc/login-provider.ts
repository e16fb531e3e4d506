/**
 * One way to sign in through another site: the generic OIDC provider or a
 * GitHub-style OAuth 2 one. The routes (oidc-routes.ts) own state, PKCE and
 * the session; a provider only builds its authorization URL and turns a
 * callback into who the user is there.
 */
export interface LoginProvider {
  /** The {provider} in /auth/oidc/{provider}/…, and user_identities.provider. */
  name: "oidc" | "github";
  /** Whether the provider checks a nonce (OIDC's id_token); a GitHub-style one has none. */
  usesNonce: boolean;
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /**
   * Checks the callback (state, the issuer's `iss`, an `error` parameter),
   * exchanges the code with the PKCE verifier and reads the user. Throws
   * LoginRefused for what the user or the provider did; anything else is a bug
   * or an unreachable provider.
   */
  complete(callback: URL, checks: CallbackChecks): Promise<ExternalUser>;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  /** S256 of the verifier. */
  codeChallenge: string;
  nonce: string;
}

export interface CallbackChecks {
  /** The callback URL without its query: what the token request must repeat as redirect_uri. */
  redirectUri: string;
  state: string;
  codeVerifier: string;
  nonce: string;
}

/** The user as the provider vouches for them. */
export interface ExternalUser {
  /** Stable id at the provider (OIDC `sub`, GitHub's numeric user id). */
  subject: string;
  email: string;
  displayName: string;
}

/**
 * A login that ends in a 400 or 401 page. `message` is ours, shown to the user;
 * `reason` is a short code for logs and the audit log. A provider's own text
 * (error_description) is never put in either.
 */
export class LoginRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 502,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** http:// only for a provider on this machine (tests, a local IdP); anything else must be https://. */
export function checkProviderUrl(what: string, value: string): URL {
  const url = new URL(value);
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  throw new Error(`${what} must be an https:// URL (http:// only on loopback), got ${url.origin}`);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
