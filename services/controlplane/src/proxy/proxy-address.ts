import { canonicalWireId } from "@wrenn/shared";

/**
 * Where a proxied request goes, read from its address. Two forms on the
 * API's HTTP port:
 *
 * - host form `{port}-{sandbox}.{domain}` (any path; `*.localhost` resolves
 *   to loopback without DNS, so `http://8000-sb-….localhost:8080/` works in
 *   curl and browsers), the `:port` of Host ignored;
 * - path form `/proxy/{sandbox}/{port}/…`, the prefix stripped before forwarding.
 *
 * `{sandbox}` is "sb-" and 32 hex digits, or the dashless "sb" and 32 hex
 * digits (the E2B face's form, since E2B clients split a host's first label
 * at its dashes).
 */
export interface ProxyAddress {
  form: "host" | "path";
  /** The canonical "sb-" and 32 hex digits (either written form, lowercased); not checked against anything yet. */
  wireId: string;
  port: number;
  /** The request target toward the sandbox's server: path and query. */
  upstreamPath: string;
  /** "/proxy/sb-…/8000" under the path form, "" under the host form. */
  prefix: string;
}

export type AddressReading =
  | { kind: "address"; address: ProxyAddress }
  /** `/proxy/sb-…/8000` without its slash: a redirect to `…/8000/` keeps relative links right. */
  | { kind: "add_slash"; location: string }
  | { kind: "malformed"; message: string };

export const pathPrefix = "/proxy";

export interface AddressReader {
  /** Cheap and synchronous: whether the proxy owns this request at all. */
  claims(host: string | undefined, url: string): boolean;
  read(host: string | undefined, url: string): AddressReading;
}

export function createAddressReader(domain: string): AddressReader {
  const suffix = "." + domain.toLowerCase().replace(/\.$/, "");
  /** The first label of a host-form name, when Host is one: "8000-sb-…". */
  function hostLabel(host: string | undefined): string | undefined {
    if (!host) return undefined;
    const name = host.toLowerCase().replace(/:\d*$/, "").replace(/\.$/, "");
    if (!name.endsWith(suffix)) return undefined;
    const label = name.slice(0, -suffix.length);
    return /^\d+-[^.]+$/.test(label) ? label : undefined;
  }
  return {
    claims(host, url) {
      if (hostLabel(host) !== undefined) return true;
      const path = pathOf(url);
      return path === pathPrefix || path.startsWith(pathPrefix + "/");
    },
    read(host, url) {
      const label = hostLabel(host);
      if (label !== undefined) {
        const dash = label.indexOf("-");
        const target = parseTarget(label.slice(dash + 1), label.slice(0, dash));
        if (typeof target === "string") return { kind: "malformed", message: target };
        if (!url.startsWith("/")) return { kind: "malformed", message: "the request target must be a path" };
        return { kind: "address", address: { form: "host", ...target, upstreamPath: url, prefix: "" } };
      }
      const q = url.indexOf("?");
      const path = q >= 0 ? url.slice(0, q) : url;
      const query = q >= 0 ? url.slice(q) : "";
      const [, , sandbox = "", port = "", ...rest] = path.split("/");
      const target = parseTarget(sandbox.toLowerCase(), port);
      if (typeof target === "string") return { kind: "malformed", message: `${target}; the path form is /proxy/{sandbox}/{port}/…` };
      // The prefix as the client wrote the id, so redirects and relative links stay under what it asked for.
      const prefix = `${pathPrefix}/${sandbox.toLowerCase()}/${target.port}`;
      if (rest.length === 0) return { kind: "add_slash", location: `${prefix}/${query}` };
      return { kind: "address", address: { form: "path", ...target, upstreamPath: "/" + rest.join("/") + query, prefix } };
    },
  };
}

function parseTarget(written: string, port: string): { wireId: string; port: number } | string {
  const wireId = canonicalWireId("sb", written);
  if (wireId === undefined) return 'the sandbox must look like "sb-" followed by 32 hex digits (or "sb" and 32 hex digits)';
  const number = /^\d{1,5}$/.test(port) ? Number(port) : 0;
  if (number < 1 || number > 65535) return "the port must be a number from 1 to 65535";
  return { wireId, port: number };
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q >= 0 ? url.slice(0, q) : url;
}
