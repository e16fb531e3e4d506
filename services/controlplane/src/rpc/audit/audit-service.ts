import type { AuditServiceImplementation } from "@wrenn/gen/wrenn/api/v1/audit.js";
import type { AuditStore } from "../../identity/audit.js";
import type { TeamStore } from "../../identity/identity-store.js";
import type { RequestAttributes } from "../../request-attributes.js";
import { listAuditLogsHandler } from "./list-audit-logs.js";

export function createAuditService(store: AuditStore, teams: Pick<TeamStore, "roleOf">): AuditServiceImplementation<{ attributes: RequestAttributes }> {
  return { listAuditLogs: listAuditLogsHandler(store, teams) };
}
