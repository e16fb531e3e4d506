import type { CreateTeamRequest, CreateTeamResponse } from "@wrenn/gen/wrenn/api/v1/team.js";
import { errors } from "@wrenn/shared";
import { requireStorableName } from "../../identity/stored-name.js";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import type { CallerContext } from "../caller-context.js";
import { signedInUser } from "./team-caller.js";
import { teamToApi } from "./to-api.js";

/** The caller becomes the new team's one owner. */
export function createTeamHandler(teams: TeamMembershipStore) {
  return async function createTeam(request: CreateTeamRequest, context: CallerContext): Promise<CreateTeamResponse> {
    const user = signedInUser(context);
    const name = request.name.trim();
    if (name.length < 1 || [...name].length > 100) throw errors.invalidArgument("name must be 1 to 100 characters");
    requireStorableName(name);
    const team = await teams.createTeam(user.id, name);
    return { team: teamToApi(team, team.role) };
  };
}
