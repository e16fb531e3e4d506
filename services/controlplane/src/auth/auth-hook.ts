import { timingSafeEqual } from "node:crypto";
import { errors, fromWireId, quoteForMessage, type Logger } from "@wrenn/shared";
import type { HookedRequest, RequestHook } from "../extensions.js";
import { apiKeyPattern, apiKeyPrefix, apiKeyTags, sandboxAccessTokenPattern } from "../identity/api-key-text.js";
import { isActiveUser, type ApiKeyStore, type SessionStore, type TeamStore } from "../identity/identity-store.js";
import type { Principal } from "../identity/principal.js";
import type { SandboxRecord } from "../lifecycle/sandbox.js";
import { readCookie, sessionCookie } from "./cookie-header.js";
import { accessTokenHeaders, accessTokenOf, outOfReach, sandboxTokenReaches } from "./sandbox-token-reach.js";

export interface AuthHookOptions {
  apiKeys: ApiKeyStore;
  sessions: SessionStore;
  teams: TeamStore;
  /** Finds the sandbox an access token ("wra_…") belongs to (sandboxes.access_token, a unique column). */
  sandboxTokens: { findByAccessToken(token: string): Promise<SandboxRecord | null> };
  /** gRPC methods a session may call without x-csrf-token (csrf-safe-methods.ts: GET rules). */
  csrfSafe: ReadonlySet<string>;
  logger: Logger;
}

/** The only gRPC method that needs no credential (health and reflection are outside the hooks); the gateway gets it too. */
/** How fresh api_keys.last_used_at is kept (the store's conditional UPDATE uses the same minute). */
const lastUsedResolutionMs = 60_000;

export const openGrpcMethods: ReadonlySet<string> = new Set([
  "/wrenn.api.v1.AccountService/Signup",
  // A new host agent has no API key; its one-time registration token is checked by the method.
  "/wrenn.api.v1.HostRegistrationService/RegisterHost",
]);

/** HTTP handler routes under /auth/ (login, refresh, logout, OIDC) check what they need themselves. */
const openHttpPrefix = "/auth";

/** Every refusal says the same, whatever was wrong with the credential: nothing tells a caller a key exists. */
const missing = "authentication required: send an API key (Authorization: Bearer <key>, or X-API-Key: <key>) or sign in";
const badKey = "invalid API key";
const badSession = "session expired or signed out";
const badAccessToken = "invalid sandbox access token";

/** A token stops working once its sandbox is being destroyed or gone (a purged row is simply unknown). */
const endedStatuses: ReadonlySet<SandboxRecord["status"]> = new Set(["stopping", "stopped"]);

const loopback = (ip: string) => ip === "::1" || ip.startsWith("127.");

/**
 * The authentication hook every public, identity and extension call passes
 * (gRPC, transcoded HTTP, and handler routes). It finds the credential:
 *
 * - an API key in `authorization: Bearer <key>` or `x-api-key: <key>`,
 *   looked up by hash on every call (no cache: a revoke counts at once on
 *   every controlplane). Refused when unknown, revoked, expired, or made by
 *   a user who is now deactivated or deleted;
 * - else a sandbox access token ("wra_…", Sandbox.access_token) in
 *   `x-wrenn-access-token` or `x-access-token` (the E2B SDKs' header),
 *   looked up by its unique column: a principal of the sandbox's team
 *   limited to that one sandbox (`onlySandboxId`) and to its process, file
 *   and port calls (anything else is PERMISSION_DENIED). Refused when
 *   unknown, or when the sandbox is stopping, stopped or has no team;
 * - else the `wrenn_session` cookie: a live session of an active user. A
 *   method whose http rule is not GET also needs `x-csrf-token` equal to the
 *   session's CSRF token. The team is `x-wrenn-team` (a team the user is in)
 *   or their personal team.
 *
 * and attaches the Principal. Failures are UNAUTHENTICATED and logged at warn
 * with the caller's address and, for keys, the visible prefix only.
 */
export function createAuthHook(options: AuthHookOptions): RequestHook {
  const { apiKeys, sessions, teams, sandboxTokens, csrfSafe, logger } = options;

  function refuse(request: HookedRequest, ip: string, message: string, reason: string, keyPrefix?: string): never {
    logger.warn({ ip, path: request.path, reason, ...(keyPrefix === undefined ? {} : { keyPrefix }) }, "authentication failed");
    throw errors.unauthenticated(message);
  }

  async function byApiKey(request: HookedRequest, key: string, ip: string): Promise<Principal> {
    // Only a string shaped like a key has a prefix worth logging: anything else may be a pasted password.
    if (!apiKeyPattern.test(key)) refuse(request, ip, badKey, "malformed key", apiKeyTags.some((tag) => key.startsWith(tag)) ? apiKeyPrefix(key) : undefined);
    const prefix = apiKeyPrefix(key);
    const found = await apiKeys.findBySecret(key);
    if (!found) refuse(request, ip, badKey, "unknown key", prefix);
    if (found.revokedAt) refuse(request, ip, badKey, "revoked key", prefix);
    if (found.expiresAt && found.expiresAt.getTime() <= Date.now()) refuse(request, ip, badKey, "expired key", prefix);
    // A key outlives nothing its creator lost: deactivating or deleting a user stops the keys they made.
    if (found.creator && !isActiveUser(found.creator)) refuse(request, ip, badKey, "key of an inactive user", prefix);
    const team = request.metadata.get("x-wrenn-team");
    if (typeof team === "string" && team !== "" && fromWireId("team", team, "x-wrenn-team") !== found.teamId) {
      throw errors.notFound(`team ${quoteForMessage(team)} not found`);
    }
    // The lookup already says when the key was last marked used: within the minute, no write is needed.
    if (!found.lastUsedAt || Date.now() - found.lastUsedAt.getTime() >= lastUsedResolutionMs) await apiKeys.touch(found.id);
    return {
      credential: "api_key",
      teamId: found.teamId,
      role: null,
      user: found.creator ? { id: found.creator.id, email: found.creator.email, isAdmin: found.creator.isAdmin } : null,
      apiKey: { id: found.id, prefix: found.prefix },
      sessionId: null,
      ip,
    };
  }

  async function byAccessToken(request: HookedRequest, token: string, ip: string): Promise<Principal> {
    const prefix = token.startsWith("wra_") ? apiKeyPrefix(token) : undefined;
    if (!sandboxAccessTokenPattern.test(token)) refuse(request, ip, badAccessToken, "malformed access token", prefix);
    const sandbox = await sandboxTokens.findByAccessToken(token);
    if (!sandbox) refuse(request, ip, badAccessToken, "unknown access token", prefix);
    if (sandbox.teamId === null) refuse(request, ip, badAccessToken, "access token of a sandbox with no team", prefix);
    if (endedStatuses.has(sandbox.status)) refuse(request, ip, badAccessToken, "access token of a stopped sandbox", prefix);
    // A good token, just not for this call: its holder is told what it is for.
    if (!sandboxTokenReaches(request)) throw errors.permissionDenied(outOfReach);
    return {
      credential: "sandbox_token",
      teamId: sandbox.teamId,
      role: null,
      user: null,
      apiKey: null,
      sessionId: null,
      onlySandboxId: sandbox.id,
      ip,
    };
  }

  async function bySession(request: HookedRequest, token: string, ip: string): Promise<Principal> {
    const session = await sessions.findByToken(token);
    if (!session) refuse(request, ip, badSession, "unknown or expired session");
    if (!isActiveUser(session.user)) refuse(request, ip, badSession, "session of an inactive user");
    if (!csrfSafeRequest(request)) {
      const sent = request.metadata.get("x-csrf-token");
      if (typeof sent !== "string" || !sameText(sent, session.csrfToken)) {
        logger.warn({ ip, path: request.path, reason: "missing or wrong CSRF token" }, "authentication failed");
        throw errors.permissionDenied("this call needs the x-csrf-token header (the wrenn_csrf cookie's value)");
      }
    }
    const wanted = request.metadata.get("x-wrenn-team");
    let teamId: string;
    if (typeof wanted === "string" && wanted !== "") {
      teamId = fromWireId("team", wanted, "x-wrenn-team");
    } else {
      const personal = await teams.personalTeamOf(session.user.id);
      if (!personal) throw errors.failedPrecondition("you have no personal team: choose a team with the x-wrenn-team header");
      teamId = personal.id;
    }
    const role = await teams.roleOf(teamId, session.user.id);
    if (!role) throw errors.notFound(`team ${quoteForMessage(typeof wanted === "string" ? wanted : teamId)} not found`);
    return {
      credential: "session",
      teamId,
      role,
      user: { id: session.user.id, email: session.user.email, isAdmin: session.user.isAdmin },
      apiKey: null,
      sessionId: session.id,
      ip,
    };
  }

  function csrfSafeRequest(request: HookedRequest): boolean {
    if (request.protocol === "http") return request.httpMethod === "GET" || request.httpMethod === "HEAD";
    return csrfSafe.has(request.path);
  }

  return async function authenticate(request) {
    // Open calls carry no principal, but the audit log still wants their address (a signup's).
    if (request.protocol === "grpc" && openGrpcMethods.has(request.path)) return { clientIp: clientIp(request) };
    if (request.protocol === "http" && underPrefix(request.path, openHttpPrefix)) return;
    const ip = clientIp(request);
    const key = apiKeyOf(request);
    // An API key decides when there is one; then a sandbox access token; the session cookie comes last,
    // so a header credential a caller chose is never overridden by a cookie their browser happened to send.
    if (key !== undefined) return { principal: await byApiKey(request, key, ip) };
    const accessToken = accessTokenOf(request.metadata);
    if (accessToken !== undefined) return { principal: await byAccessToken(request, accessToken, ip) };
    const cookie = request.metadata.get("cookie");
    const token = readCookie(typeof cookie === "string" ? cookie : undefined, sessionCookie);
    if (token) return { principal: await bySession(request, token, ip) };
    logger.debug({ ip, path: request.path }, "no credential");
    throw errors.unauthenticated(missing);
  };
}

/**
 * Whether a request carries something the hook would check (good or bad):
 * without one it is refused with no lookup, so the gateway may refuse it
 * before reading the body.
 */
export function carriesCredential(metadata: HookedRequest["metadata"]): boolean {
  const cookie = metadata.get("cookie");
  return (
    metadata.has("authorization") ||
    metadata.has("x-api-key") ||
    accessTokenHeaders.some((name) => metadata.has(name)) ||
    Boolean(readCookie(typeof cookie === "string" ? cookie : undefined, sessionCookie))
  );
}

/** The key from `authorization: Bearer` or `x-api-key`; both at once must agree. */
function apiKeyOf(request: HookedRequest): string | undefined {
  const authorization = request.metadata.get("authorization");
  const bearer = typeof authorization === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  if (typeof authorization === "string" && bearer === undefined) throw errors.unauthenticated("the authorization header must be \"Bearer <API key>\"");
  const header = request.metadata.get("x-api-key");
  const xApiKey = typeof header === "string" ? header.trim() : undefined;
  if (bearer !== undefined && xApiKey !== undefined && bearer !== xApiKey) throw errors.unauthenticated("authorization and x-api-key carry different keys");
  return bearer ?? xApiKey;
}

/**
 * Who is calling, for logs and the audit log. The gateway (a loopback peer)
 * tells the HTTP client's address in x-wrenn-client-ip; anyone else's
 * x-wrenn-client-ip is ignored, and their own address counts.
 */
function clientIp(request: HookedRequest): string {
  const peer = request.peer ?? "";
  if (request.protocol === "http") return peer;
  const forwarded = request.metadata.get("x-wrenn-client-ip");
  return loopback(peer) && typeof forwarded === "string" && forwarded !== "" ? forwarded : peer;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + "/");
}
