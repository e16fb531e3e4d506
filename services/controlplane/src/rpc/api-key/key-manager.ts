import { errors, fromWireId, quoteForMessage } from "@wrenn/shared";
import type { TeamStore } from "../../identity/identity-store.js";
import { principalOf, type Principal } from "../../identity/principal.js";
import type { CallerContext } from "../caller-context.js";

/**
 * The team (UUID) named by a key RPC's path, once the caller may manage its
 * keys: an API key manages its own team's only; a session user must be an
 * owner or admin of it. Any other team is NOT_FOUND with the message of a
 * team that does not exist; a plain member of it is PERMISSION_DENIED (they
 * can see the team, not its keys).
 */
export async function managedTeam(teams: TeamStore, wireTeamId: string, context: CallerContext): Promise<{ teamId: string; principal: Principal }> {
  const principal = principalOf(context);
  const teamId = fromWireId("team", wireTeamId, "team_id");
  const notFound = () => errors.notFound(`team ${quoteForMessage(wireTeamId)} not found`);
  if (principal.credential === "api_key") {
    if (teamId !== principal.teamId) throw notFound();
    return { teamId, principal };
  }
  const role = principal.user ? await teams.roleOf(teamId, principal.user.id) : null;
  if (!role) throw notFound();
  if (role === "member") throw errors.permissionDenied("only the team's owners and admins manage its API keys");
  return { teamId, principal };
}
