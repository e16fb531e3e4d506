import type { ApiKeyServiceImplementation } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import type { ApiKeyStore, TeamStore } from "../../identity/identity-store.js";
import type { RequestAttributes } from "../../request-attributes.js";
import { createApiKeyHandler } from "./create-api-key.js";
import { listApiKeysHandler } from "./list-api-keys.js";
import { revokeApiKeyHandler } from "./revoke-api-key.js";

/** wrenn.api.v1.ApiKeyService: a team's keys, managed by its owners and admins, or by its own keys. */
export function createApiKeyService(apiKeys: ApiKeyStore, teams: TeamStore): ApiKeyServiceImplementation<{ attributes: RequestAttributes }> {
  return {
    createApiKey: createApiKeyHandler(apiKeys, teams),
    listApiKeys: listApiKeysHandler(apiKeys, teams),
    revokeApiKey: revokeApiKeyHandler(apiKeys, teams),
  };
}
