import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { sessionTtlMs, type SessionStore, type SessionTokens } from "../identity/identity-store.js";
import { csrfCookie, refreshCookie, sessionCookie } from "./cookie-header.js";

/**
 * The browser session's three cookies. The tokens are opaque (their SHA-256
 * is in `sessions`), so a logout or a deactivation ends a session at once on
 * every controlplane copy; nothing is signed, so there is no key to manage.
 *
 * - wrenn_session: the 15-minute session token, sent on every request (Path=/).
 * - wrenn_refresh: the 7-day refresh token, sent only to /auth/ (Path=/auth),
 *   so an ordinary API call never carries it.
 * - wrenn_csrf: the session's CSRF token, readable by the page's JavaScript,
 *   which echoes it in `x-csrf-token` on every request that is not a GET.
 *
 * HttpOnly except wrenn_csrf; SameSite=Lax (a cross-site POST carries none of
 * them); Secure when the request came over TLS or through a proxy that says
 * `x-forwarded-proto: https` (a client lying about it only gets a cookie it
 * cannot send over plain HTTP).
 */
const refreshPath = "/auth";

export interface SessionCookies {
  /** Creates the session (through the SessionStore) and sets its three cookies: what a login or an OIDC callback ends with. */
  startSession(res: ServerResponse, req: IncomingMessage, userId: string, ip: string): Promise<{ csrfToken: string }>;
}

export function createSessionCookies(sessions: SessionStore): SessionCookies {
  return {
    async startSession(res, req, userId, ip) {
      const tokens = await sessions.create(userId, ip);
      setSessionCookies(res, req, tokens);
      return { csrfToken: tokens.session.csrfToken };
    },
  };
}

/** Sets (or, after a rotation, replaces) the three cookies. Appends to any Set-Cookie already on the response. */
export function setSessionCookies(res: ServerResponse, req: IncomingMessage, tokens: SessionTokens): void {
  const now = Date.now();
  const secure = isSecureRequest(req);
  // A session token always lives the full 15 minutes from now (created or rotated); the refresh token's
  // 7 days count from login and are not extended by a rotation, so its age comes from the row.
  const sessionAge = Math.round(sessionTtlMs / 1000);
  const refreshAge = secondsUntil(tokens.session.refreshExpiresAt, now);
  appendSetCookie(res, [
    cookie(sessionCookie, tokens.token, { path: "/", maxAge: sessionAge, httpOnly: true, secure }),
    cookie(refreshCookie, tokens.refreshToken, { path: refreshPath, maxAge: refreshAge, httpOnly: true, secure }),
    // As long as the session can be refreshed: the page needs it for the refresh's answer too.
    cookie(csrfCookie, tokens.session.csrfToken, { path: "/", maxAge: refreshAge, httpOnly: false, secure }),
  ]);
}

/** Expires the three cookies (same names and paths, Max-Age=0). */
export function clearSessionCookies(res: ServerResponse, req: IncomingMessage): void {
  const secure = isSecureRequest(req);
  appendSetCookie(res, [
    cookie(sessionCookie, "", { path: "/", maxAge: 0, httpOnly: true, secure }),
    cookie(refreshCookie, "", { path: refreshPath, maxAge: 0, httpOnly: true, secure }),
    cookie(csrfCookie, "", { path: "/", maxAge: 0, httpOnly: false, secure }),
  ]);
}

/** TLS to us, or a TLS-terminating proxy in front saying so. */
export function isSecureRequest(req: IncomingMessage): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
  const forwarded = req.headers["x-forwarded-proto"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
  return first === "https";
}

interface CookieOptions {
  path: string;
  maxAge: number;
  httpOnly: boolean;
  secure: boolean;
}

/** Token values are base64url (no characters a cookie value may not hold), so they go in unquoted. */
function cookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, `Max-Age=${options.maxAge}`, "SameSite=Lax"];
  if (options.httpOnly) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

function appendSetCookie(res: ServerResponse, cookies: string[]): void {
  const existing = res.getHeader("set-cookie");
  const before = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader("set-cookie", [...before, ...cookies]);
}

function secondsUntil(time: Date, now: number): number {
  return Math.max(0, Math.floor((time.getTime() - now) / 1000));
}
