import type { RevokeApiKeyRequest, RevokeApiKeyResponse } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import { errors, fromWireId, quoteForMessage } from "@wrenn/shared";
import type { ApiKeyStore, TeamStore } from "../../identity/identity-store.js";
import type { CallerContext } from "../caller-context.js";
import { managedTeam } from "./key-manager.js";
import { apiKeyToApi } from "./to-api.js";

/**
 * Sets revoked_at; every controlplane refuses the key from its next call on
 * (keys are looked up on every call, never cached). Revoking again is OK and
 * keeps the first time. A key may revoke itself.
 */
export function revokeApiKeyHandler(apiKeys: ApiKeyStore, teams: TeamStore) {
  return async function revokeApiKey(request: RevokeApiKeyRequest, context: CallerContext): Promise<RevokeApiKeyResponse> {
    const { teamId } = await managedTeam(teams, request.teamId, context);
    const keyId = fromWireId("key", request.keyId, "key_id");
    const key = await apiKeys.revoke(teamId, keyId);
    if (!key) throw errors.notFound(`API key ${quoteForMessage(request.keyId)} not found`);
    return { apiKey: apiKeyToApi(key) };
  };
}
