import type { AcceptInviteRequest, AcceptInviteResponse } from "@wrenn/gen/wrenn/api/v1/team.js";
import { errors } from "@wrenn/shared";
import { secretHash } from "../../identity/api-key-text.js";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import type { CallerContext } from "../caller-context.js";
import { signedInUser } from "./team-caller.js";
import { teamToApi } from "./to-api.js";

/** The signed-in user whose email was invited joins with the invite's role; the token then stops working. */
export function acceptInviteHandler(teams: TeamMembershipStore) {
  return async function acceptInvite(request: AcceptInviteRequest, context: CallerContext): Promise<AcceptInviteResponse> {
    const user = signedInUser(context);
    if (request.token === "") throw errors.invalidArgument("token is required");
    const result = await teams.acceptInvite(secretHash(request.token), user);
    if (result.outcome === "invalid") throw errors.notFound("invite not found, expired or already used");
    if (result.outcome === "wrong_email") throw errors.permissionDenied("this invite was sent to another email address");
    const team = await teams.teamOf(result.teamId, user.id);
    // Removed again between the two statements: the invite is used, the membership gone.
    if (!team) throw errors.notFound("invite not found, expired or already used");
    return { team: teamToApi(team, team.role) };
  };
}
