import { createHash } from "node:crypto";
import { isWireId, fromWireId } from "@wrenn/shared";
import { isUuid } from "../lifecycle/sandbox.js";

/**
 * The database keys hosts by UUID, while a host agent names itself however it
 * likes ("host-…" wire id, a UUID, or a machine name). Wire ids and UUIDs map
 * directly; any other name maps to a stable name-based UUID.
 */
export function hostUuidFor(agentHostId: string): string {
  if (isWireId("host", agentHostId)) return fromWireId("host", agentHostId);
  if (isUuid(agentHostId)) return agentHostId.toLowerCase();
  const hex = createHash("sha256").update(`wrenn-host:${agentHostId}`).digest("hex");
  // Version 8 (custom) with the RFC 4122 variant bits.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
