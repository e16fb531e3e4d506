import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import type { OidcLoginStore, UserIdentityStore } from "../../identity/oidc-store.js";

const takenRow = z.object({
  provider: z.string(),
  code_verifier: z.string(),
  nonce: z.string(),
  return_to: z.string(),
  live: z.boolean(),
});

/** The PostgreSQL implementation of the pending OIDC logins (table oidc_logins). */
export function createOidcLoginRepository(pool: DatabasePool): OidcLoginStore {
  return {
    async start(stateHash, login, ttlMs) {
      await pool.query(sql.unsafe`
        INSERT INTO oidc_logins (state_hash, provider, code_verifier, nonce, return_to, expires_at)
        VALUES (${sql.binary(stateHash)}, ${login.provider}, ${login.codeVerifier}, ${login.nonce}, ${login.returnTo},
                now() + ${ttlMs} * interval '1 millisecond')`);
    },

    async take(stateHash, provider) {
      // The row goes whatever the provider: a state presented to the wrong
      // callback is spent too, so it cannot be tried again at the right one.
      const row = await pool.maybeOne(sql.type(takenRow)`
        DELETE FROM oidc_logins WHERE state_hash = ${sql.binary(stateHash)}
        RETURNING provider, code_verifier, nonce, return_to, expires_at > now() AS live`);
      if (!row || !row.live || row.provider !== provider) return null;
      return { provider: row.provider, codeVerifier: row.code_verifier, nonce: row.nonce, returnTo: row.return_to };
    },

    async deleteExpired() {
      const result = await pool.query(sql.unsafe`DELETE FROM oidc_logins WHERE expires_at <= now()`);
      return result.rowCount;
    },
  };
}

const userIdRow = z.object({ user_id: z.string().uuid() });

/** The PostgreSQL implementation of the provider identities (table user_identities). */
export function createUserIdentityRepository(pool: DatabasePool): UserIdentityStore {
  return {
    async userOf(provider, subject) {
      const row = await pool.maybeOne(sql.type(userIdRow)`
        SELECT user_id FROM user_identities WHERE provider = ${provider} AND subject = ${subject}`);
      return row?.user_id ?? null;
    },

    async link(provider, subject, userId) {
      // The no-op update makes RETURNING give the existing row on a conflict.
      const row = await pool.one(sql.type(userIdRow)`
        INSERT INTO user_identities (provider, subject, user_id) VALUES (${provider}, ${subject}, ${userId}::uuid)
        ON CONFLICT (provider, subject) DO UPDATE SET provider = EXCLUDED.provider
        RETURNING user_id`);
      return row.user_id;
    },
  };
}
