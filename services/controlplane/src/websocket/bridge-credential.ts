import type { IncomingMessage } from "node:http";
import { Metadata } from "nice-grpc-common";
import { errors } from "@wrenn/shared";
import { csrfCookie, readCookie } from "../auth/cookie-header.js";
import { forwardedHeaders } from "../gateway/grpc-backend.js";

export interface BridgeCredential {
  /** What the bridge's gRPC calls carry: the caller's credential, `x-*` headers and the client's address. */
  metadata: Metadata;
  /** The credential is the browser session cookie (so the Origin was checked and the CSRF token added). */
  viaCookie: boolean;
}

/**
 * The caller's credential for a bridge. `?token=` is an API key, or a
 * sandbox's access token ("wra_…"), that a browser's WebSocket can carry (it
 * cannot set headers); only these routes read it.
 * A cookie-authenticated upgrade is a browser's, and a browser sends the
 * cookie whichever page opened the socket (WebSockets have no CORS), so the
 * page's Origin must be ours: that check stands in for the CSRF token the
 * page cannot send, and the `wrenn_csrf` cookie's value then goes along as
 * `x-csrf-token` for the calls that need one.
 */
export function bridgeCredential(req: IncomingMessage, params: URLSearchParams, publicUrl: string | undefined): BridgeCredential {
  const metadata = Metadata();
  for (const [name, value] of forwardedHeaders(req)) {
    // A page cannot send x-csrf-token on a WebSocket; one that arrives anyway is not trusted.
    if (name !== "x-csrf-token") metadata.append(name, value);
  }
  const token = params.get("token");
  if (token !== null) {
    if (token === "") throw errors.unauthenticated("the token parameter is empty");
    // Metadata refuses anything but printable ASCII (a 500 otherwise); no key holds other characters.
    if (!/^[ -~]+$/.test(token)) throw errors.unauthenticated("invalid API key");
    metadata.set(token.startsWith("wra_") ? "x-wrenn-access-token" : "x-api-key", token);
  }
  const viaCookie = !["x-api-key", "authorization", "x-wrenn-access-token", "x-access-token"].some((name) => metadata.has(name));
  if (viaCookie) {
    const cookie = metadata.get("cookie");
    const header = typeof cookie === "string" ? cookie : undefined;
    if (header !== undefined && !sameOrigin(req, publicUrl)) {
      throw errors.permissionDenied("a WebSocket signed in by cookie must be opened by a page of this origin");
    }
    const csrf = readCookie(header, csrfCookie);
    if (csrf) metadata.set("x-csrf-token", csrf);
  }
  return { metadata, viaCookie };
}

/** The Origin header names this server: the request's own Host, or the configured public URL's origin. */
export function sameOrigin(req: IncomingMessage, publicUrl: string | undefined): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== "string" || origin === "" || origin === "null") return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  const host = req.headers.host;
  if (typeof host === "string" && parsed.host.toLowerCase() === host.toLowerCase()) return true;
  if (!publicUrl) return false;
  try {
    return parsed.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}
