import { EgressPolicy_Mode, type EgressPolicy as EgressPolicyMessage } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { errors } from "@wrenn/shared";
import { normaliseEgressPolicy, type EgressPolicy } from "../../network/egress-policy.js";

/** The wire policy as the network layer's, validated (bad CIDRs are INVALID_ARGUMENT naming the entry). */
export function fromEgressPolicy(message: EgressPolicyMessage | undefined): EgressPolicy | undefined {
  if (!message) return undefined;
  switch (message.mode) {
    case EgressPolicy_Mode.MODE_UNSPECIFIED:
    case EgressPolicy_Mode.MODE_ALLOW_ALL:
      if (message.allowedCidrs.length > 0) throw errors.invalidArgument("egress allowed_cidrs needs mode MODE_ALLOW_LIST");
      return message.mode === EgressPolicy_Mode.MODE_ALLOW_ALL ? { mode: "allow-all" } : undefined;
    case EgressPolicy_Mode.MODE_DENY_ALL:
      if (message.allowedCidrs.length > 0) throw errors.invalidArgument("egress allowed_cidrs needs mode MODE_ALLOW_LIST");
      return { mode: "deny-all" };
    case EgressPolicy_Mode.MODE_ALLOW_LIST:
      return normaliseEgressPolicy({ mode: "allow-list", cidrs: message.allowedCidrs });
    default:
      throw errors.invalidArgument(`unknown egress mode ${String(message.mode)}`);
  }
}
