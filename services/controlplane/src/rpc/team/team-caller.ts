import { errors, fromWireId, quoteForMessage, toWireId } from "@wrenn/shared";
import { principalOf } from "../../identity/principal.js";
import type { MemberTeam, TeamMembershipStore } from "../../identity/team-membership-store.js";
import type { CallerContext } from "../caller-context.js";

/**
 * Team management is a person's business: an API key acts for its team but
 * is not a member of it, so it cannot invite, re-role or leave.
 */
export function signedInUser(context: CallerContext): { id: string; email: string } {
  const principal = principalOf(context);
  if (principal.credential !== "session" || !principal.user) throw errors.failedPrecondition("team management needs a signed-in user");
  return principal.user;
}

/** The team the request names, as the caller (a member) sees it. Not a member is the same NOT_FOUND as no such team. */
export async function memberTeamOf(teams: TeamMembershipStore, wireTeamId: string, userId: string): Promise<MemberTeam> {
  const teamId = fromWireId("team", wireTeamId, "team_id");
  const team = await teams.teamOf(teamId, userId);
  if (!team) throw errors.notFound(`team ${quoteForMessage(toWireId("team", teamId))} not found`);
  return team;
}
