import { canonicalWireId, fromWireId, toDnsLabelId } from "@wrenn/shared";

/**
 * Sandbox ids on the E2B face: "sb" and the 32 hex digits, without the dash,
 * because E2B's SDKs put the id in a DNS label and split `<port>-<id>` on
 * "-". Requests may name a sandbox either way; the public API is called with
 * the wire id ("sb-…"). The forms themselves are @wrenn/shared's ids.
 */
export function toE2bSandboxId(wireId: string): string {
  return toDnsLabelId("sb", fromWireId("sb", wireId));
}

/** The wire id a path names, or undefined when it cannot name any sandbox (answered as not found, like an unknown one). */
export function wireSandboxIdOf(pathId: string): string | undefined {
  return canonicalWireId("sb", pathId);
}
