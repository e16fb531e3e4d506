import * as client from "openid-client";
import type { OidcLoginConfig } from "../../config.js";
import { checkProviderUrl, isLoopbackHost, LoginRefused, type LoginProvider } from "./login-provider.js";

/**
 * Generic OpenID Connect through openid-client: discovery of the issuer's
 * metadata (once, at the first login, and again after a failure, so a
 * provider that was down at start does not need a restart), the code grant
 * with PKCE, and the id_token's checks (signature, issuer, audience, expiry,
 * nonce), all openid-client's. The email must be verified by the provider.
 */
export function createOidcProvider(config: OidcLoginConfig): LoginProvider {
  const issuer = checkProviderUrl("WRENN_OIDC_ISSUER", config.issuer);
  if (!config.scopes.split(" ").includes("openid")) throw new Error('WRENN_OIDC_SCOPES must include "openid"');
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    discovered ??= client
      .discovery(issuer, config.clientId, config.clientSecret, client.ClientSecretBasic(config.clientSecret), {
        // Checked above: plain http only ever reaches a loopback issuer.
        execute: isLoopbackHost(issuer.hostname) && issuer.protocol === "http:" ? [client.allowInsecureRequests] : [],
      })
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    return discovered;
  };

  return {
    name: "oidc",
    usesNonce: true,
    async authorizationUrl(request) {
      return client.buildAuthorizationUrl(await configuration(), {
        redirect_uri: request.redirectUri,
        scope: config.scopes,
        state: request.state,
        nonce: request.nonce,
        code_challenge: request.codeChallenge,
        code_challenge_method: "S256",
      });
    },

    async complete(callback, checks) {
      const server = await configuration();
      const tokens = await client.authorizationCodeGrant(server, callback, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new LoginRefused(400, "the provider sent no id_token", "no_id_token");
      // Providers put email in the id_token or only in userinfo (when the
      // access token can fetch it); the subject must be the same in both.
      const claims: client.JsonObject =
        typeof idToken.email === "string" ? idToken : await client.fetchUserInfo(server, tokens.access_token, idToken.sub);
      if (typeof claims.email !== "string" || claims.email === "") throw new LoginRefused(400, "the provider did not share an email address", "no_email");
      if (claims.email_verified !== true) throw new LoginRefused(401, "the provider has not verified this email address", "email_unverified");
      const name = typeof claims.name === "string" ? claims.name : "";
      return { subject: idToken.sub, email: claims.email, displayName: name };
    },
  };
}
