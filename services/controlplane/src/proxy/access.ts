import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Metadata } from "nice-grpc-common";
import { errors, hasGrpcStatus, Status, toWireId } from "@wrenn/shared";
import { readCookie, sessionCookie } from "../auth/cookie-header.js";
import type { HttpRequestInfo } from "../gateway/index.js";
import type { SandboxRecord } from "../lifecycle/sandbox.js";
import type { RequestAttributes } from "../request-attributes.js";
import { e2bTrafficTokenHeader, isWrennBearer, requestScheme, trafficTokenCookie, trafficTokenHeader, trafficTokenParam } from "./forward-headers.js";
import type { ProxyAddress } from "./proxy-address.js";

export type Access =
  | { kind: "allowed" }
  /** A good `?wrenn_traffic_token=`: a redirect to the same address without it, setting the token's cookie. */
  | { kind: "redirect"; location: string; setCookie: string };

export type Authorize = (request: HttpRequestInfo) => Promise<RequestAttributes>;

/** One message for an unknown sandbox and for one the caller may not reach, so neither tells the other apart. */
export function notFound(address: ProxyAddress): Error {
  return errors.notFound(`sandbox ${address.wireId} not found`);
}

/**
 * Who may reach a sandbox's ports, in this order: a good traffic token in
 * the query (answered with the redirect that moves it into a cookie, so it
 * leaves the URL), anyone when the sandbox has public ports, a good traffic
 * token in X-Wrenn-Traffic-Token (or E2B's e2b-traffic-access-token) or the
 * wrenn_traffic_token cookie, or the
 * owning team's credential (API key or session). A credential that does not
 * open this sandbox, and an unknown sandbox, are 404 with one message; no
 * credential at all is 401 (whether the sandbox exists or not).
 */
export async function decideAccess(req: IncomingMessage, address: ProxyAddress, record: SandboxRecord | null, authorize: Authorize): Promise<Access> {
  const { queryToken, path: pathWithoutToken } = takeQueryToken(address.upstreamPath);
  const headerToken = firstHeader(req, trafficTokenHeader) ?? firstHeader(req, e2bTrafficTokenHeader);
  const cookieToken = readCookie(firstHeader(req, "cookie"), trafficTokenCookie);
  const metadata = credentialMetadata(req);
  const presented = queryToken !== undefined || headerToken !== undefined || cookieToken !== undefined || metadata !== undefined;
  const unauthenticated = () => errors.unauthenticated("this sandbox's ports need its traffic token (X-Wrenn-Traffic-Token) or the owning team's API key");

  if (!record || !record.teamId) {
    if (!presented) throw unauthenticated();
    // A bad key is 401 here as it would be on a sandbox that exists.
    if (metadata) await authorize({ path: hookPath(address), httpMethod: "GET", metadata, peer: peerOf(req) });
    throw notFound(address);
  }
  const token = record.trafficToken;
  if (queryToken !== undefined) {
    if (!token || !sameText(queryToken, token)) throw notFound(address);
    return { kind: "redirect", location: address.prefix + pathWithoutToken, setCookie: tokenCookie(req, address, token) };
  }
  if (record.publicPorts) return { kind: "allowed" };
  if (token && [headerToken, cookieToken].some((sent) => sent !== undefined && sameText(sent, token))) return { kind: "allowed" };
  if (metadata) {
    // Asking as the sandbox's team: the hook checks a key belongs to it, or that the session's user is in it
    // (a browser sends no x-wrenn-team, and the sandbox may be a shared team's, not the personal one).
    metadata.set("x-wrenn-team", toWireId("team", record.teamId));
    try {
      // "GET": an access check, not an API call. The CSRF token guards Wrenn's own calls; the session
      // cookie is SameSite=Lax, so a cross-site form post to a sandbox carries none.
      const attributes = await authorize({ path: hookPath(address), httpMethod: "GET", metadata, peer: peerOf(req) });
      if (attributes.principal?.teamId === record.teamId) return { kind: "allowed" };
    } catch (err) {
      // Another team's key, or a user outside the team: the same 404 as an unknown sandbox.
      if (!(hasGrpcStatus(err) && (err.code === Status.NOT_FOUND || err.code === Status.PERMISSION_DENIED))) throw err;
    }
    throw notFound(address);
  }
  if (presented) throw notFound(address);
  throw unauthenticated();
}

/** The caller's own Wrenn credential as the authentication hook reads it, or undefined when there is none. */
function credentialMetadata(req: IncomingMessage): Metadata | undefined {
  const metadata = Metadata();
  const key = firstHeader(req, "x-api-key");
  const authorization = firstHeader(req, "authorization");
  const session = readCookie(firstHeader(req, "cookie"), sessionCookie);
  if (key !== undefined) metadata.set("x-api-key", key);
  if (authorization !== undefined && isWrennBearer(authorization)) metadata.set("authorization", authorization);
  if (session !== undefined) metadata.set("cookie", `${sessionCookie}=${session}`);
  return key !== undefined || metadata.has("authorization") || session !== undefined ? metadata : undefined;
}

/** The request target without `wrenn_traffic_token` (the other parameters in their order), and that token. */
export function takeQueryToken(target: string): { queryToken: string | undefined; path: string } {
  const q = target.indexOf("?");
  if (q < 0) return { queryToken: undefined, path: target };
  let queryToken: string | undefined;
  const kept: string[] = [];
  for (const part of target.slice(q + 1).split("&")) {
    const eq = part.indexOf("=");
    const name = eq >= 0 ? part.slice(0, eq) : part;
    if (name === trafficTokenParam) queryToken = decodeParam(eq >= 0 ? part.slice(eq + 1) : "");
    else kept.push(part);
  }
  return { queryToken, path: target.slice(0, q) + (kept.length > 0 ? "?" + kept.join("&") : "") };
}

/** Host-only, scoped to the sandbox's addresses: one sandbox's token never goes to another's. */
function tokenCookie(req: IncomingMessage, address: ProxyAddress, token: string): string {
  // The sandbox as the client wrote it ("sb-…" or the dashless form): the browser matches the path as sent.
  const path = address.form === "path" ? address.prefix.slice(0, address.prefix.lastIndexOf("/") + 1) : "/";
  const parts = [`${trafficTokenCookie}=${token}`, `Path=${path}`, "HttpOnly", "SameSite=Lax"];
  if (requestScheme(req) === "https") parts.push("Secure");
  return parts.join("; ");
}

/** What the hooks (and their logs) see as the path: the sandbox and port, never the app's path or query. */
function hookPath(address: ProxyAddress): string {
  return `/proxy/${address.wireId}/${address.port}`;
}

function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function peerOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
