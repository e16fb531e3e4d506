import { EgressPolicy_Mode } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";

/**
 * Egress modes as the domain names them, and their wire numbers. The public
 * API (wrenn.api.v1) and the host agent API (wrenn.hostagent.v1) declare the
 * same enum numbers; the test in egress-mode.test.ts holds them together.
 */
export type EgressMode = "allow-all" | "deny-all" | "allow-list";

const toWire = {
  "allow-all": EgressPolicy_Mode.MODE_ALLOW_ALL,
  "deny-all": EgressPolicy_Mode.MODE_DENY_ALL,
  "allow-list": EgressPolicy_Mode.MODE_ALLOW_LIST,
} as const satisfies Record<EgressMode, EgressPolicy_Mode>;

/** The wire number of a mode (either API's EgressPolicy.Mode). */
export function egressModeToWire(mode: EgressMode): EgressPolicy_Mode {
  return toWire[mode];
}

/**
 * A wire mode as the domain's; "unspecified" for MODE_UNSPECIFIED (each side
 * decides what that defaults to) and "invalid" for any number not declared.
 */
export function egressModeFromWire(value: number): EgressMode | "unspecified" | "invalid" {
  if (value === (EgressPolicy_Mode.MODE_UNSPECIFIED as number)) return "unspecified";
  const found = (Object.keys(toWire) as EgressMode[]).find((mode) => (toWire[mode] as number) === value);
  return found ?? "invalid";
}
