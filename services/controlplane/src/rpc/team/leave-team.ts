import type { LeaveTeamRequest, LeaveTeamResponse } from "@wrenn/gen/wrenn/api/v1/team.js";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import type { CallerContext } from "../caller-context.js";
import { refusalError } from "./member-change.js";
import { memberTeamOf, signedInUser } from "./team-caller.js";

/** Anyone may leave, except the last owner (FAILED_PRECONDITION; checked in the same statement that removes). */
export function leaveTeamHandler(teams: TeamMembershipStore) {
  return async function leaveTeam(request: LeaveTeamRequest, context: CallerContext): Promise<LeaveTeamResponse> {
    const user = signedInUser(context);
    const team = await memberTeamOf(teams, request.teamId, user.id);
    const result = await teams.removeMember(team.id, user.id, ["owner", "admin", "member"]);
    if (result !== "removed") throw refusalError(result, team.id, user.id, "leave");
    return {};
  };
}
