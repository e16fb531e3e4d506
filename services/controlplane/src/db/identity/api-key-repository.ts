import { sql, type CommonQueryMethods } from "slonik";
import { z } from "zod";
import { newUuid } from "@wrenn/shared";
import { apiKeyPrefix, newApiKeyText, secretHash } from "../../identity/api-key-text.js";
import type { ApiKeyLookup, ApiKeyRecord, ApiKeyStore } from "../../identity/identity-store.js";

const keyShape = {
  id: z.string().uuid(),
  team_id: z.string().uuid(),
  created_by: z.string().uuid().nullable(),
  name: z.string(),
  prefix: z.string(),
  expires_at: z.number().nullable(),
  last_used_at: z.number().nullable(),
  revoked_at: z.number().nullable(),
  created_at: z.number(),
};
type KeyShape = z.infer<z.ZodObject<typeof keyShape>>;

const toRecord = (row: KeyShape): ApiKeyRecord => ({
  id: row.id,
  teamId: row.team_id,
  createdBy: row.created_by,
  name: row.name,
  prefix: row.prefix,
  expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
  lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  createdAt: new Date(row.created_at),
});

const keyRow = z.object(keyShape).transform(toRecord);

const lookupRow = z
  .object({
    ...keyShape,
    creator_email: z.string().nullable(),
    creator_is_admin: z.boolean().nullable(),
    creator_deactivated_at: z.number().nullable(),
    creator_deleted_at: z.number().nullable(),
  })
  .transform(
    (row): ApiKeyLookup => ({
      ...toRecord(row),
      creator:
        row.created_by === null || row.creator_email === null
          ? null
          : {
              id: row.created_by,
              email: row.creator_email,
              isAdmin: row.creator_is_admin === true,
              deactivatedAt: row.creator_deactivated_at === null ? null : new Date(row.creator_deactivated_at),
              deletedAt: row.creator_deleted_at === null ? null : new Date(row.creator_deleted_at),
            },
    }),
  );

const columns = sql.fragment`id, team_id, created_by, name, prefix, expires_at, last_used_at, revoked_at, created_at`;

/** The PostgreSQL implementation of the identity ApiKeyStore. No cache: a revoke is seen by every controlplane's next lookup. */
export function createApiKeyRepository(pool: CommonQueryMethods): ApiKeyStore {
  return {
    async create(input) {
      const secret = newApiKeyText(input.format);
      const key = await pool.one(sql.type(keyRow)`
        INSERT INTO api_keys (id, team_id, created_by, name, prefix, secret_hash, expires_at)
        VALUES (${newUuid()}::uuid, ${input.teamId}::uuid, ${input.createdBy}::uuid, ${input.name}, ${apiKeyPrefix(secret)},
                ${sql.binary(secretHash(secret))}, ${input.expiresAt === null ? null : sql.timestamp(input.expiresAt)})
        RETURNING ${columns}`);
      return { key, secret };
    },

    async list(teamId) {
      const rows = await pool.any(sql.type(keyRow)`
        SELECT ${columns} FROM api_keys WHERE team_id = ${teamId}::uuid ORDER BY created_at, id`);
      return [...rows];
    },

    async revoke(teamId, keyId) {
      return pool.maybeOne(sql.type(keyRow)`
        UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
        WHERE id = ${keyId}::uuid AND team_id = ${teamId}::uuid
        RETURNING ${columns}`);
    },

    async findBySecret(secret) {
      return pool.maybeOne(sql.type(lookupRow)`
        SELECT k.id, k.team_id, k.created_by, k.name, k.prefix, k.expires_at, k.last_used_at, k.revoked_at, k.created_at,
               u.email AS creator_email, u.is_admin AS creator_is_admin,
               u.deactivated_at AS creator_deactivated_at, u.deleted_at AS creator_deleted_at
        FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
        WHERE k.secret_hash = ${sql.binary(secretHash(secret))}`);
    },

    async touch(keyId) {
      // Most calls match no row: a busy key is written once a minute, not on every request.
      await pool.query(sql.unsafe`
        UPDATE api_keys SET last_used_at = now()
        WHERE id = ${keyId}::uuid AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`);
    },
  };
}
