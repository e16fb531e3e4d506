import { errors } from "@wrenn/shared";
import type { SandboxRecord } from "./sandbox.js";

/**
 * The tenancy rule, in one place: a caller acting for `teamId` sees a
 * sandbox only when its team owns it. Another team's sandbox, and one with
 * no team (rows from before teams existed), is treated exactly like an id
 * that does not exist, so visibility answers NOT_FOUND "sandbox not found"
 * for all three alike: an id reveals nothing about whom it belongs to.
 * Every lifecycle method that takes an id passes the row through here first.
 */
export function ownedBy(teamId: string, record: SandboxRecord | null): SandboxRecord | null {
  if (!record || record.teamId === null || record.teamId !== teamId) return null;
  return record;
}

/** The answer to a create that would take a team over its concurrent-sandbox quota. */
export function quotaExceeded(active: number, quota: number) {
  return errors.resourceExhausted(`team has ${active} sandboxes, its quota is ${quota}`);
}
