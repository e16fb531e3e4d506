import type { ListMembersRequest, ListMembersResponse } from "@wrenn/gen/wrenn/api/v1/team.js";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import type { CallerContext } from "../caller-context.js";
import { memberTeamOf, signedInUser } from "./team-caller.js";
import { memberToApi } from "./to-api.js";

/** Any member may see who else is in the team. */
export function listMembersHandler(teams: TeamMembershipStore) {
  return async function listMembers(request: ListMembersRequest, context: CallerContext): Promise<ListMembersResponse> {
    const user = signedInUser(context);
    const team = await memberTeamOf(teams, request.teamId, user.id);
    return { members: (await teams.listMembers(team.id)).map(memberToApi) };
  };
}
