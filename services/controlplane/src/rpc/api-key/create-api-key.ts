import type { CreateApiKeyRequest, CreateApiKeyResponse } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import { errors } from "@wrenn/shared";
import type { ApiKeyStore, TeamStore } from "../../identity/identity-store.js";
import { requireStorableName } from "../../identity/stored-name.js";
import type { CallerContext } from "../caller-context.js";
import { managedTeam } from "./key-manager.js";
import { apiKeyToApi } from "./to-api.js";

/**
 * A new key of the path's team; the secret is in this answer only. Its
 * creator is the signed-in user, or for a key made by a key that key's
 * creator: a key never outlives the deactivation of the user behind it.
 */
export function createApiKeyHandler(apiKeys: ApiKeyStore, teams: TeamStore) {
  return async function createApiKey(request: CreateApiKeyRequest, context: CallerContext): Promise<CreateApiKeyResponse> {
    const { teamId, principal } = await managedTeam(teams, request.teamId, context);
    // Kept as given (gateway/field-rules.ts states the same rule for /openapi.json): 1 to 100 characters, not all blank.
    const name = request.name;
    if (!/\S/.test(name)) throw errors.invalidArgument("name is required (not only spaces)");
    if ([...name].length > 100) throw errors.invalidArgument("name must be at most 100 characters");
    requireStorableName(name);
    const expiresAt = request.expiresAt ?? null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw errors.invalidArgument("expires_at must be in the future");
    const { key, secret } = await apiKeys.create({ teamId, name, createdBy: principal.user?.id ?? null, expiresAt });
    return { apiKey: apiKeyToApi(key), secret };
  };
}
