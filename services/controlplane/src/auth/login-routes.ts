import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Status } from "nice-grpc-common";
import { User } from "@wrenn/gen/wrenn/api/v1/account.js";
import { errors, type Logger } from "@wrenn/shared";
import { readBody } from "../gateway/body-reader.js";
import { GatewayError, gatewayErrors, sendJson } from "../gateway/gateway-error.js";
import type { HttpHandlerRoute } from "../gateway/handler-routes.js";
import { userActor, type AuditLog } from "../identity/audit.js";
import { normalizeEmail } from "../identity/email.js";
import { isActiveUser, type SessionStore, type UserRecord, type UserStore } from "../identity/identity-store.js";
import { verifyPassword } from "../identity/password.js";
import { userToApi } from "../rpc/account/user-to-api.js";
import { csrfCookie, readCookie, refreshCookie, sessionCookie } from "./cookie-header.js";
import { clearSessionCookies, setSessionCookies, type SessionCookies } from "./session-cookies.js";

export interface LoginRouteDeps {
  users: UserStore;
  sessions: SessionStore;
  cookies: SessionCookies;
  audit: AuditLog;
  logger: Logger;
}

const maxLoginBody = 8 * 1024;
const bodyTimeoutMs = 10_000;
const notSignedIn = "not signed in";

/**
 * The browser's cookie routes (the auth hook lets /auth/ through; each route
 * checks the cookies it needs itself):
 * - POST /auth/login {email, password}: sets the session cookies; 401 with one message for every failure.
 * - POST /auth/refresh: rotates the session and refresh tokens; a replayed old refresh token revokes the session.
 * - POST /auth/logout: revokes the session (needs x-csrf-token) and clears the cookies.
 * - GET /auth/session: who is signed in, and the CSRF token for the page.
 * One route per path, so other /auth/ paths (OIDC) stay free for their own routes.
 */
export function createLoginRoutes(deps: LoginRouteDeps): HttpHandlerRoute[] {
  return [
    route("/auth/login", "POST", (req, res) => login(deps, req, res)),
    route("/auth/refresh", "POST", (req, res) => refresh(deps, req, res)),
    route("/auth/logout", "POST", (req, res) => logout(deps, req, res)),
    route("/auth/session", "GET", (req, res) => session(deps, req, res)),
  ];
}

function route(prefix: string, method: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): HttpHandlerRoute {
  return {
    prefix,
    async handle(req, res, request) {
      if (request.path !== prefix) throw gatewayErrors.notFound(`no route for ${req.method ?? "GET"} ${request.path}`);
      if (req.method !== method) throw gatewayErrors.methodNotAllowed([method]);
      await handle(req, res);
    },
  };
}

async function login(deps: LoginRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // JSON only: a cross-site HTML form cannot send it, so no other site can sign a browser in to an account of its choosing.
  if (!/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) {
    throw new GatewayError(Status.INVALID_ARGUMENT, "login takes a JSON body (content-type: application/json)", 415);
  }
  const body = parseLogin(await readBody(req, maxLoginBody, bodyTimeoutMs));
  const ip = peerAddress(req);
  const email = normalizeEmail(body.email);
  const user = await deps.users.findByEmail(email);
  const usable = user !== null && isActiveUser(user) ? user : null;
  // Unknown, deactivated and password-less users are verified against a dummy hash: the same time, the same answer.
  const ok = await verifyPassword(usable?.passwordHash ?? null, body.password);
  if (!usable || !ok) {
    deps.logger.warn({ ip, emailDomain: email.split("@")[1] ?? "" }, "login failed");
    await deps.audit.record({
      teamId: null,
      actor: user ? userActor(user) : { userId: null, name: "anonymous", keyPrefix: "" },
      action: "auth.login",
      resourceType: "session",
      result: "failure",
      ip,
    });
    throw errors.unauthenticated("invalid email or password");
  }
  const { csrfToken } = await deps.cookies.startSession(res, req, usable.id, ip);
  await deps.audit.record({ teamId: null, actor: userActor(usable), action: "auth.login", resourceType: "session", result: "success", ip });
  sendJson(res, 200, signedIn(usable, csrfToken));
}

async function refresh(deps: LoginRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = readCookie(req.headers.cookie, refreshCookie);
  if (!token) return refuse(req, res, notSignedIn);
  const result = await deps.sessions.rotate(token);
  if (result.outcome === "invalid") return refuse(req, res, notSignedIn);
  const ip = peerAddress(req);
  if (result.outcome === "reused") {
    // Someone (a thief, or the owner after a thief) sent a refresh token that was already spent: nobody keeps the session.
    deps.logger.warn({ ip, sessionId: result.sessionId }, "refresh token reused; session revoked");
    const user = await deps.users.get(result.userId);
    await deps.audit.record({
      teamId: null,
      actor: user ? userActor(user) : { userId: result.userId, name: "unknown", keyPrefix: "" },
      action: "auth.refresh",
      resourceType: "session",
      resourceId: result.sessionId,
      result: "failure",
      ip,
      details: { reason: "refresh token reused" },
    });
    return refuse(req, res, notSignedIn);
  }
  const user = await deps.users.get(result.session.userId);
  if (!user || !isActiveUser(user)) {
    await deps.sessions.revoke(result.session.id);
    return refuse(req, res, notSignedIn);
  }
  setSessionCookies(res, req, result);
  sendJson(res, 200, signedIn(user, result.session.csrfToken));
}

async function logout(deps: LoginRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const csrf = header(req, "x-csrf-token");
  const token = readCookie(req.headers.cookie, sessionCookie);
  const live = token ? await deps.sessions.findByToken(token) : null;
  let ended: { id: string; user: UserRecord | null } | null = null;
  if (live) {
    if (!sameText(csrf, live.csrfToken)) throw errors.permissionDenied("missing or wrong x-csrf-token");
    await deps.sessions.revoke(live.id);
    ended = { id: live.id, user: live.user };
  } else {
    // The 15-minute token ran out but the refresh token would revive the session for days: end it
    // through the refresh token (a rotation, then revoke). The page's CSRF cookie must be echoed.
    const refreshToken = readCookie(req.headers.cookie, refreshCookie);
    const csrfCookieValue = readCookie(req.headers.cookie, csrfCookie);
    if (refreshToken) {
      if (!csrfCookieValue || !sameText(csrf, csrfCookieValue)) throw errors.permissionDenied("missing or wrong x-csrf-token");
      const rotated = await deps.sessions.rotate(refreshToken);
      if (rotated.outcome === "rotated") {
        await deps.sessions.revoke(rotated.session.id);
        ended = { id: rotated.session.id, user: await deps.users.get(rotated.session.userId) };
      }
    }
  }
  clearSessionCookies(res, req);
  if (ended) {
    const actor = ended.user ? userActor(ended.user) : { userId: null, name: "unknown", keyPrefix: "" };
    await deps.audit.record({ teamId: null, actor, action: "auth.logout", resourceType: "session", resourceId: ended.id, result: "success", ip: peerAddress(req) });
  }
  res.writeHead(204);
  res.end();
}

async function session(deps: LoginRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = readCookie(req.headers.cookie, sessionCookie);
  const live = token ? await deps.sessions.findByToken(token) : null;
  if (!live || !isActiveUser(live.user)) throw errors.unauthenticated(notSignedIn);
  sendJson(res, 200, { ...signedIn(live.user, live.csrfToken), expiresAt: live.expiresAt.toISOString() }, { "cache-control": "no-store" });
}

/** The JSON every route that signs in answers with (field names like the rest of the HTTP API: lowerCamelCase). */
function signedIn(user: UserRecord, csrfToken: string) {
  return { user: User.toJSON(userToApi(user)), csrfToken };
}

/** 401, and the cookies that did not work are cleared so the page stops sending them. */
function refuse(req: IncomingMessage, res: ServerResponse, message: string): never {
  clearSessionCookies(res, req);
  throw errors.unauthenticated(message);
}

function parseLogin(body: Buffer): { email: string; password: string } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw errors.invalidArgument("the body must be JSON: {\"email\": …, \"password\": …}");
  }
  const { email, password } = (value ?? {}) as { email?: unknown; password?: unknown };
  if (typeof email !== "string" || typeof password !== "string") throw errors.invalidArgument("email and password (strings) are required");
  return { email, password };
}

/** Constant-time equality, so the answer's timing does not reveal how much of a guessed token was right. */
function sameText(sent: string | undefined, expected: string): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(sent, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The HTTP peer (a proxy's X-Forwarded-For is not trusted: it is whatever the client wrote). */
function peerAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "";
}
