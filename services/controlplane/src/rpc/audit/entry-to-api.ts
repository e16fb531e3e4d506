import { toWireId } from "@wrenn/shared";
import { AuditScope, type AuditEntry as ApiEntry } from "@wrenn/gen/wrenn/api/v1/audit.js";
import type { AuditEntry } from "../../identity/audit.js";

/** A stored entry as the API shows it; UUIDs become wire ids. */
export function entryToApi(entry: AuditEntry): ApiEntry {
  return {
    entryId: entry.id,
    scope: entry.scope === "admin" ? AuditScope.AUDIT_SCOPE_ADMIN : AuditScope.AUDIT_SCOPE_TEAM,
    teamId: entry.teamId ? toWireId("team", entry.teamId) : "",
    actorUserId: entry.actorUserId ? toWireId("usr", entry.actorUserId) : "",
    actorName: entry.actorName,
    actorKeyPrefix: entry.actorKeyPrefix,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    result: entry.result,
    ip: entry.ip,
    time: entry.time,
    details: entry.details,
  };
}
