import { errors } from "@wrenn/shared";
import { formatCidr, parseCidr } from "./ipv4.js";

/**
 * What a sandbox may open connections to. Replies to connections opened
 * towards the sandbox (envd, the port proxy) are never affected; the host,
 * other sandboxes and the always-denied ranges stay out of reach whatever the
 * policy says.
 */
export type EgressPolicy = { mode: "allow-all" } | { mode: "deny-all" } | { mode: "allow-list"; cidrs: string[] };

export const allowAll: EgressPolicy = { mode: "allow-all" };

const maxCidrs = 256;

/** Validates and normalises a policy (CIDRs canonical, duplicates dropped); throws INVALID_ARGUMENT. */
export function normaliseEgressPolicy(policy: EgressPolicy): EgressPolicy {
  switch (policy.mode) {
    case "allow-all":
    case "deny-all":
      return { mode: policy.mode };
    case "allow-list": {
      if (!Array.isArray(policy.cidrs)) throw errors.invalidArgument("egress allow-list needs a list of CIDRs");
      if (policy.cidrs.length > maxCidrs) throw errors.invalidArgument(`egress allow-list has more than ${maxCidrs} CIDRs`);
      const cidrs = new Set<string>();
      for (const text of policy.cidrs) {
        const parsed = parseCidr(String(text));
        if (typeof parsed === "string") throw errors.invalidArgument(`egress allow-list: ${parsed}`);
        cidrs.add(formatCidr(parsed));
      }
      return { mode: "allow-list", cidrs: [...cidrs] };
    }
    default:
      throw errors.invalidArgument(`unknown egress mode "${(policy as { mode?: unknown }).mode}"`);
  }
}

/** Parses the ranges every sandbox is denied (config); throws INVALID_ARGUMENT naming the bad entry. */
export function normaliseCidrList(what: string, list: string[]): string[] {
  return list.map((text) => {
    const parsed = parseCidr(text);
    if (typeof parsed === "string") throw errors.invalidArgument(`${what}: ${parsed}`);
    return formatCidr(parsed);
  });
}
