import type { ListApiKeysRequest, ListApiKeysResponse } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import type { ApiKeyStore, TeamStore } from "../../identity/identity-store.js";
import type { CallerContext } from "../caller-context.js";
import { managedTeam } from "./key-manager.js";
import { apiKeyToApi } from "./to-api.js";

/** Every key of the team, revoked and expired ones too (they show when and why they stopped). */
export function listApiKeysHandler(apiKeys: ApiKeyStore, teams: TeamStore) {
  return async function listApiKeys(request: ListApiKeysRequest, context: CallerContext): Promise<ListApiKeysResponse> {
    const { teamId } = await managedTeam(teams, request.teamId, context);
    return { apiKeys: (await apiKeys.list(teamId)).map(apiKeyToApi) };
  };
}
