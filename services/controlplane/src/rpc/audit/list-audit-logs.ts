import { errors, fromWireId, quoteForMessage, toWireId } from "@wrenn/shared";
import type { ListAuditLogsRequest, ListAuditLogsResponse } from "@wrenn/gen/wrenn/api/v1/audit.js";
import type { AuditResult, AuditStore } from "../../identity/audit.js";
import type { TeamStore } from "../../identity/identity-store.js";
import { isPlatformAdmin, principalOf, type Principal } from "../../identity/principal.js";
import { notAnAdmin } from "../admin/admin-caller.js";
import { pageSizeOf } from "../admin/page-token.js";
import type { CallerContext } from "../caller-context.js";
import { decodeAuditToken, encodeAuditToken } from "./audit-page-token.js";
import { entryToApi } from "./entry-to-api.js";

/**
 * The audit log, newest first. Team scope (team_id set): that team's
 * owners and admins on a session, an API key of that team, or a platform
 * admin; anyone else gets the NOT_FOUND a missing team gets. Admin scope
 * (team_id empty): every entry of the platform, for platform admins only
 * (NOT_FOUND "not found", like AdminService).
 */
export function listAuditLogsHandler(store: AuditStore, teams: Pick<TeamStore, "roleOf">) {
  return async function listAuditLogs(request: ListAuditLogsRequest, context: CallerContext): Promise<ListAuditLogsResponse> {
    const principal = principalOf(context);
    let teamId: string | null = null;
    if (request.teamId === "") {
      if (!isPlatformAdmin(principal)) throw notAnAdmin();
    } else {
      teamId = fromWireId("team", request.teamId, "team_id");
      if (!(await mayReadTeamLog(principal, teamId, teams))) throw errors.notFound(`team ${quoteForMessage(toWireId("team", teamId))} not found`);
    }
    const limit = pageSizeOf(request.pageSize);
    const entries = await store.list({
      teamId,
      action: request.action || undefined,
      actorUserId: request.actorUserId ? fromWireId("usr", request.actorUserId, "actor_user_id") : undefined,
      resourceId: request.resourceId || undefined,
      result: resultOf(request.result),
      since: request.since,
      until: request.until,
      beforeId: decodeAuditToken(request.pageToken),
      limit: limit + 1,
    });
    const page = entries.slice(0, limit);
    const last = page.at(-1);
    return { entries: page.map(entryToApi), nextPageToken: entries.length > limit && last ? encodeAuditToken(last.id) : "" };
  };
}

async function mayReadTeamLog(principal: Principal, teamId: string, teams: Pick<TeamStore, "roleOf">): Promise<boolean> {
  if (isPlatformAdmin(principal)) return true;
  if (principal.credential === "api_key") return principal.teamId === teamId;
  if (!principal.user) return false;
  const role = principal.teamId === teamId ? principal.role : await teams.roleOf(teamId, principal.user.id);
  return role === "owner" || role === "admin";
}

function resultOf(result: string): AuditResult | undefined {
  if (result === "") return undefined;
  if (result === "success" || result === "failure") return result;
  throw errors.invalidArgument('result must be "success", "failure" or empty');
}
