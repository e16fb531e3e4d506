import { formatIpv4Cidr, parseIpv4Cidr, type Ipv4Cidr } from "@wrenn/shared";

/**
 * The host agent's side of the shared IPv4 CIDR reading (@wrenn/shared
 * ipv4-cidr). Sandbox networking is IPv4 only: the guest image has no IPv6
 * configuration and IPv6 is disabled on every sandbox link.
 */
export { formatIpv4 } from "@wrenn/shared";
export type Cidr = Ipv4Cidr;

/**
 * Parses "a.b.c.d/n" (or a bare address, read as /32). Surrounding spaces are
 * dropped, as before, since config lists may carry them. Returns a message
 * instead of throwing so callers can turn it into their own error kind.
 */
export function parseCidr(text: string): Cidr | string {
  const parsed = parseIpv4Cidr(text.trim());
  return "problem" in parsed ? `"${text}" ${parsed.problem}` : parsed;
}

export const formatCidr = formatIpv4Cidr;
