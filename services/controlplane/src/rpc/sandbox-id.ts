import { fromWireId } from "@wrenn/shared";

/**
 * The sandbox a request names, as the UUID the rest of the controlplane
 * speaks. Requests name it by wire id ("sb-…"); this is where it is parsed
 * (and answers go back through sandbox/to-api.ts). Malformed is
 * INVALID_ARGUMENT naming the field.
 */
export function sandboxIdOf(wireSandboxId: string): string {
  return fromWireId("sb", wireSandboxId, "sandbox_id");
}
