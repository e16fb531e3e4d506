import * as client from "openid-client";
import type { GithubLoginConfig } from "../../config.js";
import { checkProviderUrl, LoginRefused, type LoginProvider } from "./login-provider.js";

/**
 * GitHub-style OAuth 2 (GitHub, GitHub Enterprise): configured endpoints, no
 * discovery and no id_token. openid-client still checks the callback (state,
 * an `error` parameter) and does the code grant with PKCE; who the user is
 * comes from the API: the numeric id from /user, the email from /user/emails
 * (the primary verified one, else any verified one), else /user's public
 * `email` (GitHub only shows a verified address there).
 */
export function createGithubProvider(config: GithubLoginConfig): LoginProvider {
  const authorize = checkProviderUrl("WRENN_GITHUB_AUTHORIZE_URL", config.authorizeUrl);
  const token = checkProviderUrl("WRENN_GITHUB_TOKEN_URL", config.tokenUrl);
  const api = checkProviderUrl("WRENN_GITHUB_API_URL", config.apiUrl);
  const apiPath = (path: string) => new URL(api.href.replace(/\/$/, "") + path);
  const server = new client.Configuration(
    { issuer: authorize.origin, authorization_endpoint: authorize.href, token_endpoint: token.href },
    config.clientId,
    config.clientSecret,
    client.ClientSecretPost(config.clientSecret),
  );
  if ([authorize, token, api].some((url) => url.protocol === "http:")) client.allowInsecureRequests(server);

  async function getJson(accessToken: string, path: string): Promise<unknown> {
    const headers = new Headers({ accept: "application/json" });
    const response = await client.fetchProtectedResource(server, accessToken, apiPath(path), "GET", null, headers);
    if (!response.ok) return undefined;
    return response.json();
  }

  return {
    name: "github",
    usesNonce: false,
    async authorizationUrl(request) {
      return client.buildAuthorizationUrl(server, {
        redirect_uri: request.redirectUri,
        scope: "read:user user:email",
        state: request.state,
        code_challenge: request.codeChallenge,
        code_challenge_method: "S256",
      });
    },

    async complete(callback, checks) {
      const tokens = await client.authorizationCodeGrant(server, callback, { pkceCodeVerifier: checks.codeVerifier, expectedState: checks.state });
      const user = (await getJson(tokens.access_token, "/user")) as { id?: unknown; login?: unknown; name?: unknown; email?: unknown } | undefined;
      if (typeof user?.id !== "number" && typeof user?.id !== "string") throw new LoginRefused(400, "the provider did not say who you are", "no_user");
      const emails = await getJson(tokens.access_token, "/user/emails");
      const email = verifiedEmail(emails) ?? (typeof user.email === "string" && user.email !== "" ? user.email : undefined);
      if (!email) throw new LoginRefused(400, "the provider did not share a verified email address", "no_email");
      const name = typeof user.name === "string" && user.name ? user.name : typeof user.login === "string" ? user.login : "";
      return { subject: String(user.id), email, displayName: name };
    },
  };
}

function verifiedEmail(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const verified = list.filter(
    (entry): entry is { email: string; primary?: unknown } =>
      typeof entry === "object" && entry !== null && typeof entry.email === "string" && entry.verified === true,
  );
  return (verified.find((entry) => entry.primary === true) ?? verified[0])?.email;
}
