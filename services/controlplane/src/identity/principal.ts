import { errors } from "@wrenn/shared";
import type { RequestAttributes } from "../request-attributes.js";

export type TeamRole = "owner" | "admin" | "member";

/**
 * Who is calling, as the authentication hook (identity/auth-hook.ts) found
 * it, attached to every request as `attributes.principal`. Ids are UUIDs.
 * Every handler that touches a team's resource reads the team from here,
 * never from the request alone.
 */
export interface Principal {
  /** "sandbox_token": a sandbox's access token (Sandbox.access_token), good for that one sandbox's process, file and port calls. */
  credential: "api_key" | "session" | "sandbox_token";
  /** The team the call acts for: the key's team, or the session user's chosen team (x-wrenn-team, else personal). */
  teamId: string;
  /** The session user's role in `teamId`; null for an API key (a key is not a member). */
  role: TeamRole | null;
  /** The signed-in user (sessions), or the key's creator when known; null for a key made at bootstrap or by a key. */
  user: { id: string; email: string; isAdmin: boolean } | null;
  /** Set for API keys. */
  apiKey: { id: string; prefix: string } | null;
  /** Set for browser sessions. */
  sessionId: string | null;
  /**
   * Set for "sandbox_token" only: the UUID of the one sandbox the call may
   * reach. The relay resolver answers any other sandbox as not found.
   */
  onlySandboxId?: string;
  /** The caller's address (the gateway forwards the HTTP client's), for logs and the audit log. */
  ip: string;
}

declare module "../request-attributes.js" {
  interface RequestAttributes {
    principal?: Principal;
    /**
   * Set for "sandbox_token" only: the UUID of the one sandbox the call may
   * reach. The relay resolver answers any other sandbox as not found.
   */
  onlySandboxId?: string;
  /** The caller's address on open calls (Signup), which carry no principal. */
    clientIp?: string;
  }
}

/** The caller, or UNAUTHENTICATED when no hook attached one (a call that slipped past authentication fails closed). */
export function principalOf(context: { attributes?: RequestAttributes }): Principal {
  const principal = context.attributes?.principal;
  if (!principal) throw errors.unauthenticated("authentication required: send an API key (Authorization: Bearer, or X-API-Key)");
  return principal;
}

/** Whether the caller is a platform admin acting through a browser session (API keys never carry admin rights). */
export function isPlatformAdmin(principal: Principal): boolean {
  return principal.credential === "session" && principal.user?.isAdmin === true;
}
