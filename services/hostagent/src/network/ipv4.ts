/**
 * IPv4 address and CIDR helpers. Sandbox networking is IPv4 only: the guest
 * image has no IPv6 configuration and IPv6 is disabled on every sandbox link.
 */
export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

const octet = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => octet.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * Parses "a.b.c.d/n" (or a bare address, read as /32). Returns a message
 * instead of throwing so callers can turn it into their own error kind.
 */
export function parseCidr(text: string): Cidr | string {
  const [address, prefixText, ...rest] = text.trim().split("/");
  if (rest.length > 0) return `"${text}" is not an IPv4 CIDR`;
  const ip = parseIpv4(address ?? "");
  if (ip === undefined) return `"${text}" is not an IPv4 CIDR (IPv6 is not supported)`;
  const prefix = prefixText === undefined ? 32 : /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= 32)) return `"${text}" has an invalid prefix length`;
  const size = 2 ** (32 - prefix);
  if (ip % size !== 0) return `"${text}" has host bits set (did you mean ${formatIpv4(ip - (ip % size))}/${prefix}?)`;
  return { base: ip, prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}
