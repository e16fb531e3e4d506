import { errors, quoteForMessage } from "@wrenn/shared";
import type { EgressRule } from "./ports.js";

export const maxAllowedCidrs = 256;

/**
 * Checks an egress policy: a known mode, and for an allow-list at most 256
 * IPv4 CIDRs written canonically (no host bits set, so "10.0.0.1/8" is
 * refused rather than silently widened). Messages name the offending entry.
 */
export function validateEgress(mode: EgressRule["mode"] | "invalid", allowedCidrs: readonly string[]): EgressRule {
  if (mode === "invalid") throw errors.invalidArgument("egress.mode must be one of MODE_ALLOW_ALL, MODE_DENY_ALL, MODE_ALLOW_LIST");
  if (mode !== "allow-list") {
    if (allowedCidrs.length > 0) throw errors.invalidArgument("egress.allowed_cidrs is only allowed with MODE_ALLOW_LIST");
    return { mode, allowedCidrs: [] };
  }
  if (allowedCidrs.length > maxAllowedCidrs) {
    throw errors.invalidArgument(`egress.allowed_cidrs may hold at most ${maxAllowedCidrs} entries, got ${allowedCidrs.length}`);
  }
  allowedCidrs.forEach((cidr, index) => {
    const problem = cidrProblem(cidr);
    if (problem) throw errors.invalidArgument(`egress.allowed_cidrs[${index}] ${quoteForMessage(cidr)} ${problem}`);
  });
  return { mode, allowedCidrs: [...allowedCidrs] };
}

/** Why a string is not a canonical IPv4 CIDR, or null when it is one. */
export function cidrProblem(cidr: string): string | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return "is not an IPv4 CIDR like 198.51.100.0/24";
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o, i) => o > 255 || (match[i + 1].length > 1 && match[i + 1].startsWith("0")))) {
    return "has an invalid address";
  }
  if (prefix > 32) return "has a prefix length above 32";
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((address & ~mask) >>> 0 !== 0) return `has host bits set (did you mean ${formatAddress((address & mask) >>> 0)}/${prefix}?)`;
  return null;
}

function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join(".");
}
