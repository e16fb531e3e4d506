import { errors, parseIpv4Cidr, quoteForMessage } from "@wrenn/shared";
import type { EgressRule } from "./host-contract.js";

export const maxAllowedCidrs = 256;

/**
 * Checks an egress policy: a known mode, and for an allow-list at most 256
 * IPv4 CIDRs written canonically (no host bits set, so "10.0.0.1/8" is
 * refused rather than silently widened; a bare address is a /32, as the host
 * agent reads it). Entries are kept as written. Messages name the offending entry.
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

/** Why a string is not a canonical IPv4 CIDR (a bare address is a /32), or null when it is one. */
export function cidrProblem(cidr: string): string | null {
  const parsed = parseIpv4Cidr(cidr);
  return "problem" in parsed ? parsed.problem : null;
}
