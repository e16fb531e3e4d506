import { sql, type CommonQueryMethods } from "slonik";
import { z } from "zod";
import { newUuid } from "@wrenn/shared";
import { newCsrfToken, newRefreshToken, newSessionToken, secretHash } from "../../identity/api-key-text.js";
import {
  refreshTtlMs,
  sessionTtlMs,
  type RotateResult,
  type SessionLookup,
  type SessionRecord,
  type SessionStore,
} from "../../identity/identity-store.js";
import { userColumns, userRow } from "./user-row.js";

const sessionShape = {
  id: z.string().uuid(),
  user_id: z.string().uuid(),
  csrf_token: z.string(),
  expires_at: z.number(),
  refresh_expires_at: z.number(),
  revoked_at: z.number().nullable(),
  ip: z.string(),
  created_at: z.number(),
};
type SessionShape = z.infer<z.ZodObject<typeof sessionShape>>;

const toRecord = (row: SessionShape): SessionRecord => ({
  id: row.id,
  userId: row.user_id,
  csrfToken: row.csrf_token,
  expiresAt: new Date(row.expires_at),
  refreshExpiresAt: new Date(row.refresh_expires_at),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  ip: row.ip,
  createdAt: new Date(row.created_at),
});

const sessionRow = z.object(sessionShape).transform(toRecord);
const columns = sql.fragment`id, user_id, csrf_token, expires_at, refresh_expires_at, revoked_at, ip, created_at`;

const idRow = z.object({ id: z.string().uuid(), user_id: z.string().uuid() });

/** Milliseconds as a PostgreSQL interval from now, computed by the database (one clock for every controlplane). */
const fromNow = (ms: number) => sql.fragment`now() + ${ms} * interval '1 millisecond'`;

/**
 * The PostgreSQL implementation of the identity SessionStore: opaque tokens,
 * only their SHA-256 stored. Rotation is one conditional UPDATE on the
 * current refresh hash, so of two refreshes with the same token exactly one
 * wins; the old refresh hash is kept to recognise a replay.
 */
export function createSessionRepository(pool: CommonQueryMethods): SessionStore {
  return {
    async create(userId, ip) {
      const token = newSessionToken();
      const refreshToken = newRefreshToken();
      const session = await pool.one(sql.type(sessionRow)`
        INSERT INTO sessions (id, user_id, token_hash, refresh_hash, csrf_token, expires_at, refresh_expires_at, ip)
        VALUES (${newUuid()}::uuid, ${userId}::uuid, ${sql.binary(secretHash(token))}, ${sql.binary(secretHash(refreshToken))},
                ${newCsrfToken()}, ${fromNow(sessionTtlMs)}, ${fromNow(refreshTtlMs)}, ${ip})
        RETURNING ${columns}`);
      return { session, token, refreshToken };
    },

    async findByToken(token) {
      // Two indexed lookups by primary or unique key; the user is read fresh, so a deactivation counts at once.
      const session = await pool.maybeOne(sql.type(sessionRow)`
        SELECT ${columns} FROM sessions
        WHERE token_hash = ${sql.binary(secretHash(token))} AND revoked_at IS NULL AND expires_at > now()`);
      if (!session) return null;
      const user = await pool.maybeOne(sql.type(userRow)`SELECT ${userColumns()} FROM users WHERE id = ${session.userId}::uuid`);
      return user ? ({ ...session, user } satisfies SessionLookup) : null;
    },

    async rotate(refreshToken): Promise<RotateResult> {
      const presented = secretHash(refreshToken);
      const token = newSessionToken();
      const nextRefresh = newRefreshToken();
      const session = await pool.maybeOne(sql.type(sessionRow)`
        UPDATE sessions
        SET token_hash = ${sql.binary(secretHash(token))}, refresh_hash = ${sql.binary(secretHash(nextRefresh))},
            previous_refresh_hash = refresh_hash, csrf_token = ${newCsrfToken()}, expires_at = ${fromNow(sessionTtlMs)}
        WHERE refresh_hash = ${sql.binary(presented)} AND revoked_at IS NULL AND refresh_expires_at > now()
        RETURNING ${columns}`);
      if (session) return { outcome: "rotated", session, token, refreshToken: nextRefresh };
      const replayed = await pool.maybeOne(sql.type(idRow)`
        UPDATE sessions SET revoked_at = COALESCE(revoked_at, now())
        WHERE previous_refresh_hash = ${sql.binary(presented)}
        RETURNING id, user_id`);
      return replayed ? { outcome: "reused", sessionId: replayed.id, userId: replayed.user_id } : { outcome: "invalid" };
    },

    async revoke(sessionId) {
      await pool.query(sql.unsafe`UPDATE sessions SET revoked_at = COALESCE(revoked_at, now()) WHERE id = ${sessionId}::uuid`);
    },

    async revokeAllOfUser(userId) {
      await pool.query(sql.unsafe`UPDATE sessions SET revoked_at = now() WHERE user_id = ${userId}::uuid AND revoked_at IS NULL`);
    },
  };
}
