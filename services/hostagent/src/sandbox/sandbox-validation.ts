import { errors, isWireId, quoteForMessage } from "@wrenn/shared";

export const defaultStartTimeoutSeconds = 30;
export const maxStartTimeoutSeconds = 600;
const maxTtlSeconds = 30 * 24 * 3600;

export function validateSandboxId(sandboxId: string): void {
  if (!isWireId("sb", sandboxId)) {
    throw errors.invalidArgument(`sandbox_id must be "sb-" followed by 32 lowercase hex digits, got ${quoteForMessage(sandboxId)}`);
  }
}

export function validateTtl(seconds: number): void {
  if (seconds > maxTtlSeconds) throw errors.invalidArgument(`timeout_seconds must be at most ${maxTtlSeconds}`);
}
