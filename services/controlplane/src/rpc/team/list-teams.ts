import type { ListTeamsRequest, ListTeamsResponse } from "@wrenn/gen/wrenn/api/v1/team.js";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import type { CallerContext } from "../caller-context.js";
import { signedInUser } from "./team-caller.js";
import { teamToApi } from "./to-api.js";

export function listTeamsHandler(teams: TeamMembershipStore) {
  return async function listTeams(_request: ListTeamsRequest, context: CallerContext): Promise<ListTeamsResponse> {
    const user = signedInUser(context);
    return { teams: (await teams.listTeams(user.id)).map((team) => teamToApi(team, team.role)) };
  };
}
