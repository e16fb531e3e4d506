import type { WhoAmIResponse } from "@wrenn/gen/wrenn/api/v1/account.js";
import { errors } from "@wrenn/shared";
import type { TeamStore, UserStore } from "../../identity/identity-store.js";
import { principalOf } from "../../identity/principal.js";
import type { CallerContext } from "../caller-context.js";
import { teamToApi } from "../team/to-api.js";
import { userToApi } from "./user-to-api.js";

/** The caller as the auth hook found it: the signed-in user (never an API key's creator), the team acted for, the credential. */
export function whoAmIHandler(users: UserStore, teams: TeamStore) {
  return async function whoAmI(_request: unknown, context: CallerContext): Promise<WhoAmIResponse> {
    const principal = principalOf(context);
    const team = await teams.get(principal.teamId);
    // The hook just found this team; it can only be gone if it was deleted since.
    if (!team) throw errors.notFound("team not found");
    const user = principal.credential === "session" && principal.user ? await users.get(principal.user.id) : null;
    return {
      user: user ? userToApi(user) : undefined,
      team: teamToApi(team, principal.role),
      credential: principal.credential,
      apiKeyPrefix: principal.apiKey?.prefix ?? "",
    };
  };
}
