/**
 * The one IPv4 CIDR reading used by the controlplane (validating egress
 * policies) and the host agent (applying them, and its address pool), so an
 * entry one accepts the other reads the same way. A bare address is a /32.
 * Host bits set are refused rather than silently masked ("10.0.0.1/8" is a
 * mistake for 10.0.0.0/8, not a wider or narrower rule).
 */
export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

/** Shown when the text is not shaped like a CIDR at all. */
const notACidr = "is not an IPv4 CIDR like 198.51.100.0/24";

/** Dotted quad, each octet 0-255 without leading zeros (which some tools read as octal). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * Reads "a.b.c.d/n", or a bare "a.b.c.d" as /32. On refusal returns the
 * reason as a phrase to follow the quoted entry ("has host bits set …"), so
 * each caller words the error for its own input and error kind.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr | { problem: string } {
  // Sandbox networking is IPv4 only; say so rather than "not a CIDR".
  if (text.includes(":")) return { problem: "is an IPv6 CIDR; only IPv4 is supported" };
  const [address = "", prefixText, ...rest] = text.split("/");
  if (rest.length > 0 || !/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return { problem: notACidr };
  if (prefixText !== undefined && !/^\d{1,2}$/.test(prefixText)) return { problem: notACidr };
  const ip = parseIpv4(address);
  if (ip === undefined) return { problem: "has an invalid address" };
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (prefix > 32) return { problem: "has a prefix length above 32" };
  const size = 2 ** (32 - prefix);
  if (ip % size !== 0) return { problem: `has host bits set (did you mean ${formatIpv4(ip - (ip % size))}/${prefix}?)` };
  return { base: ip, prefix };
}

export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}
