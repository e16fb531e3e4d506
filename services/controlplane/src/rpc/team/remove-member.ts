import type { RemoveMemberRequest, RemoveMemberResponse } from "@wrenn/gen/wrenn/api/v1/team.js";
import { errors, fromWireId } from "@wrenn/shared";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import { canManageMembers, rolesManageableBy } from "../../identity/team-roles.js";
import type { CallerContext } from "../caller-context.js";
import { refusalError } from "./member-change.js";
import { memberTeamOf, signedInUser } from "./team-caller.js";

/** Owners remove anyone, admins members and admins; nobody removes the last owner. Removing oneself is leaving. */
export function removeMemberHandler(teams: TeamMembershipStore) {
  return async function removeMember(request: RemoveMemberRequest, context: CallerContext): Promise<RemoveMemberResponse> {
    const user = signedInUser(context);
    const team = await memberTeamOf(teams, request.teamId, user.id);
    const userId = fromWireId("usr", request.userId, "user_id");
    const self = userId === user.id;
    if (!self && !canManageMembers(team.role)) throw errors.permissionDenied("only owners and admins can remove members");
    const result = await teams.removeMember(team.id, userId, self ? ["owner", "admin", "member"] : rolesManageableBy(team.role));
    if (result !== "removed") throw refusalError(result, team.id, userId, self ? "leave" : "removed");
    return {};
  };
}
