import { ApiKeyFormat, type CreateApiKeyRequest, type CreateApiKeyResponse } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import type { ApiKeyTextFormat } from "../../identity/api-key-text.js";
import { errors } from "@wrenn/shared";
import type { ApiKeyStore, TeamStore } from "../../identity/identity-store.js";
import { requireStorableName } from "../../identity/stored-name.js";
import type { CallerContext } from "../caller-context.js";
import { managedTeam } from "./key-manager.js";
import { apiKeyToApi } from "./to-api.js";

/** The wire's format → the secret's text form ("e2b_" + 64 hex for E2B SDKs that check a key's shape). */
const textFormats = new Map<ApiKeyFormat, ApiKeyTextFormat>([
  [ApiKeyFormat.API_KEY_FORMAT_UNSPECIFIED, "wrenn"],
  [ApiKeyFormat.API_KEY_FORMAT_WRENN, "wrenn"],
  [ApiKeyFormat.API_KEY_FORMAT_E2B, "e2b"],
]);

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
    const format = textFormats.get(request.format);
    if (!format) throw errors.invalidArgument("format must be API_KEY_FORMAT_WRENN or API_KEY_FORMAT_E2B");
    const { key, secret } = await apiKeys.create({ teamId, name, createdBy: principal.user?.id ?? null, expiresAt, format });
    return { apiKey: apiKeyToApi(key), secret };
  };
}
