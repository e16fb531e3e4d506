import type { EgressPolicy as EgressPolicyMessage } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { egressModeFromWire, errors } from "@wrenn/shared";
import { normaliseEgressPolicy, type EgressPolicy } from "../../network/egress-policy.js";

/** The wire policy as the network layer's, validated (bad CIDRs are INVALID_ARGUMENT naming the entry). */
export function fromEgressPolicy(message: EgressPolicyMessage | undefined): EgressPolicy | undefined {
  if (!message) return undefined;
  const mode = egressModeFromWire(message.mode);
  switch (mode) {
    case "unspecified":
    case "allow-all":
      if (message.allowedCidrs.length > 0) throw errors.invalidArgument("egress allowed_cidrs needs mode MODE_ALLOW_LIST");
      // Unspecified leaves the agent's default in place.
      return mode === "allow-all" ? { mode: "allow-all" } : undefined;
    case "deny-all":
      if (message.allowedCidrs.length > 0) throw errors.invalidArgument("egress allowed_cidrs needs mode MODE_ALLOW_LIST");
      return { mode: "deny-all" };
    case "allow-list":
      return normaliseEgressPolicy({ mode: "allow-list", cidrs: message.allowedCidrs });
    case "invalid":
      throw errors.invalidArgument(`unknown egress mode ${String(message.mode)}`);
  }
}
