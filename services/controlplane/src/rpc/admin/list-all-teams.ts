import type { ListAllTeamsRequest, ListAllTeamsResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { AdminStore } from "../../identity/admin-store.js";
import type { CallerContext } from "../caller-context.js";
import { teamToApi } from "../team/to-api.js";
import { requirePlatformAdmin } from "./admin-caller.js";
import { decodeCursor, encodeCursor, pageSizeOf } from "./page-token.js";

/** Every team, oldest first, a page at a time (no role: the admin is not asking as a member). */
export function listAllTeamsHandler(admins: AdminStore) {
  return async function listAllTeams(request: ListAllTeamsRequest, context: CallerContext): Promise<ListAllTeamsResponse> {
    requirePlatformAdmin(context);
    const page = await admins.listTeams(decodeCursor(request.pageToken), pageSizeOf(request.pageSize));
    return { teams: page.items.map((team) => teamToApi(team, null)), nextPageToken: encodeCursor(page.next) };
  };
}
