import * as client from "openid-client";
import { LoginRefused } from "./login-provider.js";

/**
 * What openid-client threw, as a refusal the user sees. The provider's own
 * words (error_description, a response body) are not passed on: they are its
 * text, not ours, and may be whatever an attacker put in a crafted callback.
 * Only the error code is kept, for the log, when it looks like one.
 */
export function refusalOf(err: unknown): LoginRefused {
  if (err instanceof LoginRefused) return err;
  if (err instanceof client.AuthorizationResponseError) {
    const denied = err.error === "access_denied";
    return new LoginRefused(denied ? 401 : 400, denied ? "the login was cancelled at the provider" : "the provider did not complete the login", `provider_error:${errorCode(err.error)}`);
  }
  if (err instanceof client.ResponseBodyError) {
    return new LoginRefused(400, "the provider refused the login code; start again", `token_refused:${errorCode(err.error)}`);
  }
  if (err instanceof client.ClientError && err.code?.startsWith("OAUTH_")) {
    return new LoginRefused(400, "the provider's answer did not check out; start again", `invalid_response:${err.code}`);
  }
  if (err instanceof TypeError || (err instanceof client.ClientError && err.cause instanceof TypeError)) {
    return new LoginRefused(502, "the login provider could not be reached", "provider_unreachable");
  }
  throw err;
}

function errorCode(code: string): string {
  return /^[a-z_]{1,40}$/.test(code) ? code : "other";
}
