import { toWireId } from "@wrenn/shared";
import type { ApiKey } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import type { ApiKeyRecord } from "../../identity/identity-store.js";

/** A key as lists show it: never its secret (that is in CreateApiKeyResponse only, once). */
export function apiKeyToApi(key: ApiKeyRecord): ApiKey {
  return {
    keyId: toWireId("key", key.id),
    teamId: toWireId("team", key.teamId),
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt ?? undefined,
    expiresAt: key.expiresAt ?? undefined,
    revokedAt: key.revokedAt ?? undefined,
    createdBy: key.createdBy ? toWireId("usr", key.createdBy) : "",
  };
}
