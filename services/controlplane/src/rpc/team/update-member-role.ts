import type { UpdateMemberRoleRequest, UpdateMemberRoleResponse } from "@wrenn/gen/wrenn/api/v1/team.js";
import { errors, fromWireId } from "@wrenn/shared";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import { canManageMembers, rolesManageableBy } from "../../identity/team-roles.js";
import type { CallerContext } from "../caller-context.js";
import { refusalError } from "./member-change.js";
import { memberTeamOf, signedInUser } from "./team-caller.js";
import { memberToApi, roleFromApi } from "./to-api.js";

/** Owners set any role; admins move members and admins between member and admin. The last owner keeps the role. */
export function updateMemberRoleHandler(teams: TeamMembershipStore) {
  return async function updateMemberRole(request: UpdateMemberRoleRequest, context: CallerContext): Promise<UpdateMemberRoleResponse> {
    const user = signedInUser(context);
    const team = await memberTeamOf(teams, request.teamId, user.id);
    const userId = fromWireId("usr", request.userId, "user_id");
    const role = roleFromApi(request.role);
    if (!role) throw errors.invalidArgument("role must be TEAM_ROLE_OWNER, TEAM_ROLE_ADMIN or TEAM_ROLE_MEMBER");
    if (!canManageMembers(team.role)) throw errors.permissionDenied("only owners and admins can change roles");
    const allowed = rolesManageableBy(team.role);
    if (!allowed.includes(role)) throw errors.permissionDenied("only owners can make a member owner");
    const result = await teams.setRole(team.id, userId, role, allowed);
    if (typeof result === "string") throw refusalError(result, team.id, userId, "demoted");
    return { member: memberToApi(result) };
  };
}
