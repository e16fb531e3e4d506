import { fromAnyWireId } from "@wrenn/shared";

/**
 * The sandbox a request names, as the UUID the rest of the controlplane
 * speaks. Requests name it by wire id, "sb-…" or the dashless "sb…" the
 * E2B face shows (toDnsLabelId); this is where it is parsed (and answers go
 * back through sandbox/to-api.ts, always dashed). Malformed is
 * INVALID_ARGUMENT naming the field.
 */
export function sandboxIdOf(wireSandboxId: string): string {
  return fromAnyWireId("sb", wireSandboxId, "sandbox_id");
}
