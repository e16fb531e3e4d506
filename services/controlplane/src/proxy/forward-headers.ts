import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { ProxyAddress } from "./proxy-address.js";

/** The header a traffic token may come in (also accepted as the cookie and the query parameter below). */
export const trafficTokenHeader = "x-wrenn-traffic-token";
/** The same token under the name E2B's SDKs and docs use (`sandbox.trafficAccessToken`). */
export const e2bTrafficTokenHeader = "e2b-traffic-access-token";
export const trafficTokenParam = "wrenn_traffic_token";
export const trafficTokenCookie = "wrenn_traffic_token";

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never the next one. */
const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]);

/**
 * The request's headers as the sandbox's server gets them: hop-by-hop ones
 * dropped (an upgrade keeps Connection/Upgrade), Wrenn's credentials removed
 * (X-API-Key, `Authorization: Bearer wrn_…`, every x-wrenn-* header and
 * E2B's e2b-traffic-access-token, every wrenn_* cookie), so nothing in a sandbox ever sees a key, a session or
 * a traffic token; X-Forwarded-For/-Proto/-Host and, under the path form,
 * X-Forwarded-Prefix added. Host is kept: apps build their links from it.
 */
export function upstreamHeaders(req: IncomingMessage, address: ProxyAddress, options: { upgrade: boolean }): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const named = connectionNamed(req.headers);
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (hopByHop.has(name) || named.has(name)) continue;
    if (name === "x-api-key" || name === e2bTrafficTokenHeader || name.startsWith("x-wrenn-") || name.startsWith("x-forwarded-")) continue;
    if (name === "authorization" && typeof value === "string" && isWrennBearer(value)) continue;
    if (name === "cookie") {
      const kept = withoutWrennCookies(typeof value === "string" ? value : value.join("; "));
      if (kept) out.cookie = kept;
      continue;
    }
    out[name] = value;
  }
  if (options.upgrade) {
    out.connection = "Upgrade";
    if (req.headers.upgrade) out.upgrade = req.headers.upgrade;
  }
  const client = req.socket.remoteAddress?.replace(/^::ffff:(?=\d+\.)/, "") ?? "";
  const before = req.headers["x-forwarded-for"];
  out["x-forwarded-for"] = before ? `${String(before)}, ${client}` : client;
  out["x-forwarded-proto"] = requestScheme(req);
  if (req.headers.host) out["x-forwarded-host"] = req.headers.host;
  if (address.prefix) out["x-forwarded-prefix"] = address.prefix;
  return out;
}

/** The response's headers toward the client: hop-by-hop dropped, Location rewritten under the path form. */
export function downstreamHeaders(rawHeaders: string[], req: IncomingMessage, address: ProxyAddress): string[] {
  const out: string[] = [];
  const named = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === "connection") for (const token of rawHeaders[i + 1].split(",")) named.add(token.trim().toLowerCase());
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || named.has(lower)) continue;
    let value: string | undefined = rawHeaders[i + 1];
    if (lower === "location" && address.form === "path") value = rewriteLocation(value, req, address);
    if (lower === "set-cookie") value = sandboxCookie(value, address);
    if (value !== undefined) out.push(name, value);
  }
  return out;
}

/**
 * A redirect from the sandbox's server, under the path form: root-relative
 * ("/dir/") and absolute to the sandbox's own origin (the Host it was sent,
 * or localhost/127.0.0.1 on its port) are put under the prefix, unless
 * already there (an app that reads X-Forwarded-Prefix). Relative ones
 * ("dir/") and other origins stay as they are.
 */
export function rewriteLocation(location: string, req: IncomingMessage, address: ProxyAddress): string {
  if (location.startsWith("/") && !location.startsWith("//")) return underPrefix(location, address.prefix);
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return location;
  const own = new Set([req.headers.host?.toLowerCase(), ...["localhost", "127.0.0.1", "[::1]", "0.0.0.0"].map((name) => `${name}:${address.port}`)]);
  if (address.port === 80) own.add("localhost").add("127.0.0.1");
  if (!own.has(url.host.toLowerCase())) return location;
  const host = req.headers.host ?? url.host;
  return `${requestScheme(req)}://${host}${underPrefix(url.pathname + url.search + url.hash, address.prefix)}`;
}

/**
 * A cookie the sandbox's server sets, kept to the sandbox's own addresses:
 * none named wrenn_* (a sandbox must not plant a session or CSRF cookie on
 * Wrenn's origin), no Domain (host-only: never the proxy domain's other
 * sandboxes or the API), and under the path form a Path put under the
 * prefix (an absent Path already defaults to the request's directory there).
 */
export function sandboxCookie(setCookie: string, address: ProxyAddress): string | undefined {
  const [pair = "", ...attributes] = setCookie.split(";");
  const name = pair.slice(0, Math.max(0, pair.indexOf("="))).trim().toLowerCase();
  if (name.startsWith("wrenn_")) return undefined;
  const kept: string[] = [pair.trim()];
  for (const attribute of attributes) {
    const trimmed = attribute.trim();
    const key = trimmed.split("=")[0].trim().toLowerCase();
    if (key === "domain") continue;
    if (key === "path" && address.form === "path") {
      const path = trimmed.slice(trimmed.indexOf("=") + 1).trim();
      kept.push(`Path=${path.startsWith("/") ? underPrefix(path, address.prefix) : address.prefix + "/"}`);
      continue;
    }
    if (trimmed) kept.push(trimmed);
  }
  return kept.join("; ");
}

function underPrefix(path: string, prefix: string): string {
  return path === prefix || path.startsWith(prefix + "/") ? path : prefix + path;
}

/** http, or https when TLS ends here or at a proxy in front that says so. */
export function requestScheme(req: IncomingMessage): "http" | "https" {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return "https";
  const forwarded = req.headers["x-forwarded-proto"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
  return first === "https" ? "https" : "http";
}

/** `Bearer wrn_…` or `Bearer e2b_…`: a Wrenn API key (either text form). Any other Authorization is the app's own and goes through. */
export function isWrennBearer(value: string): boolean {
  return /^Bearer\s+(wrn|e2b)_/i.test(value.trim());
}

/** The Cookie header without wrenn_* cookies; "" when nothing is left. */
export function withoutWrennCookies(header: string): string {
  return header
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "" && !pair.slice(0, Math.max(0, pair.indexOf("="))).trim().toLowerCase().startsWith("wrenn_"))
    .join("; ");
}

/** Headers a Connection header names are hop-by-hop too. */
function connectionNamed(headers: IncomingHttpHeaders): Set<string> {
  const named = new Set<string>();
  const value = headers.connection;
  if (typeof value === "string") for (const token of value.split(",")) named.add(token.trim().toLowerCase());
  named.delete("upgrade");
  return named;
}
