import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import * as client from "openid-client";
import { errors, type Logger } from "@wrenn/shared";
import type { HttpHandlerRoute } from "../../extensions.js";
import { gatewayErrors } from "../../gateway/gateway-error.js";
import { userActor, type AuditLog } from "../../identity/audit.js";
import type { UserStore } from "../../identity/identity-store.js";
import type { OidcLoginStore, UserIdentityStore } from "../../identity/oidc-store.js";
import { readCookie } from "../cookie-header.js";
import { isSecureRequest, type SessionCookies } from "../session-cookies.js";
import { signInExternal } from "./external-sign-in.js";
import { LoginRefused, type LoginProvider } from "./login-provider.js";
import { refusalOf } from "./provider-errors.js";
import { safeReturnTo } from "./return-to.js";

/** A login not finished within this long must start again. */
const loginTtlMs = 10 * 60_000;

export interface OidcRouteOptions {
  providers: { provider: LoginProvider; redirectUrl?: string }[];
  /** Origin the redirect URLs are built from; unset: each request's own. */
  publicUrl?: string;
  logins: OidcLoginStore;
  users: UserStore;
  identities: UserIdentityStore;
  cookies: SessionCookies;
  audit: AuditLog;
  logger: Logger;
}

const stateHash = (state: string) => createHash("sha256").update(state).digest();

/**
 * The state is also kept in this cookie of the browser that started the
 * login, and the callback must come with it: a callback link someone else
 * started (login CSRF: signing the victim into the attacker's account) is
 * refused. SameSite=Lax still sends it on the provider's top-level redirect.
 */
const bindingCookie = "wrenn_oidc";
const bindingPath = "/auth/oidc";

/**
 * GET /auth/oidc/{provider}/start?return_to=/path: a new state, PKCE
 * verifier and nonce, kept in oidc_logins (any controlplane copy can finish
 * the login), then 302 to the provider.
 *
 * GET /auth/oidc/{provider}/callback?code&state: takes the login out (once:
 * a replay finds nothing), lets the provider check and exchange the code,
 * signs the user in, and 302s to return_to with the session in cookies only.
 */
export function createOidcRoutes(options: OidcRouteOptions): HttpHandlerRoute {
  const { logins, logger } = options;
  const byName = new Map(options.providers.map((entry) => [entry.provider.name, entry]));

  function redirectUri(req: IncomingMessage, name: string): string {
    const configured = byName.get(name as LoginProvider["name"])?.redirectUrl;
    if (configured) return configured;
    return `${options.publicUrl?.replace(/\/$/, "") ?? requestOrigin(req)}/auth/oidc/${name}/callback`;
  }

  async function start(req: IncomingMessage, res: ServerResponse, provider: LoginProvider, query: URLSearchParams): Promise<void> {
    const returnTo = safeReturnTo(query.get("return_to"));
    if (returnTo === null) throw errors.invalidArgument("return_to must be a path on this site, like /dashboard");
    const state = client.randomState();
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = await provider
      .authorizationUrl({ redirectUri: redirectUri(req, provider.name), state, nonce, codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier) })
      .catch((err: unknown) => {
        throw answer(refusalOf(err));
      });
    await logins.start(stateHash(state), { provider: provider.name, codeVerifier, nonce, returnTo }, loginTtlMs);
    setBinding(req, res, state, loginTtlMs / 1000);
    redirect(res, url.href);
  }

  async function callback(req: IncomingMessage, res: ServerResponse, provider: LoginProvider, query: URLSearchParams): Promise<void> {
    const ip = req.socket.remoteAddress ?? "";
    const state = query.get("state");
    // The login is spent only by the browser that started it.
    const ours = state !== null && readCookie(req.headers.cookie, bindingCookie) === state;
    setBinding(req, res, "", 0);
    const login = ours ? await logins.take(stateHash(state), provider.name) : null;
    if (!state || !login) {
      throw await refused(provider, ip, null, new LoginRefused(400, "this login link is unknown, already used or expired; start again", "bad_state"));
    }
    const uri = redirectUri(req, provider.name);
    let email: string | null = null;
    try {
      const external = await provider.complete(new URL(`${uri}?${query.toString()}`), {
        redirectUri: uri,
        state,
        codeVerifier: login.codeVerifier,
        nonce: login.nonce,
      });
      email = external.email;
      const { user, how } = await signInExternal(options.users, options.identities, provider.name, external);
      await options.cookies.startSession(res, req, user.id, ip);
      logger.info({ provider: provider.name, userId: user.id, how, ip }, "OIDC login");
      await options.audit.record({
        teamId: null,
        actor: userActor(user),
        action: "auth.oidc_login",
        resourceType: "session",
        result: "success",
        ip,
        details: { provider: provider.name, how },
      });
      redirect(res, login.returnTo);
    } catch (err) {
      throw await refused(provider, ip, email, refusalOf(err));
    }
  }

  /** Logs and audits a refused login; returns what to answer with. */
  async function refused(provider: LoginProvider, ip: string, email: string | null, refusal: LoginRefused): Promise<Error> {
    logger.warn({ provider: provider.name, ip, reason: refusal.reason }, "OIDC login refused");
    await options.audit.record({
      teamId: null,
      actor: { userId: null, name: email ?? "anonymous", keyPrefix: "" },
      action: "auth.oidc_login",
      resourceType: "session",
      result: "failure",
      ip,
      details: { provider: provider.name, reason: refusal.reason },
    });
    return answer(refusal);
  }

  return {
    prefix: "/auth/oidc",
    async handle(req, res, request) {
      const match = /^\/auth\/oidc\/([a-z]+)\/(start|callback)$/.exec(request.path);
      if (!match) throw errors.notFound(`no route for ${req.method ?? "GET"} ${request.path}`);
      const provider = byName.get(match[1] as LoginProvider["name"])?.provider;
      if (!provider) throw errors.notFound(`login provider "${match[1]}" is not configured`);
      if (req.method !== "GET") throw gatewayErrors.methodNotAllowed(["GET"]);
      const query = new URLSearchParams(request.query);
      if (match[2] === "start") await start(req, res, provider, query);
      else await callback(req, res, provider, query);
    },
  };
}

/** A refusal as the gateway answers it: JSON with our message (400, 401, or 503 when the provider is unreachable). */
function answer(refusal: LoginRefused): Error {
  if (refusal.status === 401) return errors.unauthenticated(refusal.message);
  if (refusal.status === 502) return errors.unavailable(refusal.message);
  return errors.invalidArgument(refusal.message);
}

function setBinding(req: IncomingMessage, res: ServerResponse, state: string, maxAge: number): void {
  const attributes = [`Path=${bindingPath}`, `Max-Age=${maxAge}`, "SameSite=Lax", "HttpOnly", ...(isSecureRequest(req) ? ["Secure"] : [])];
  res.setHeader("set-cookie", [`${bindingCookie}=${state}; ${attributes.join("; ")}`]);
}

/** Where the browser reached us: the Host it sent (the provider only accepts registered redirect URLs, so a forged one fails there). */
function requestOrigin(req: IncomingMessage): string {
  const host = req.headers.host ?? "";
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) throw errors.invalidArgument("the request has no usable Host header");
  return `${isSecureRequest(req) ? "https" : "http"}://${host}`;
}

function redirect(res: ServerResponse, location: string): void {
  // Neither a login redirect nor its cookies may be cached by anything between.
  res.writeHead(302, { location, "cache-control": "no-store", "content-length": 0 });
  res.end();
}
