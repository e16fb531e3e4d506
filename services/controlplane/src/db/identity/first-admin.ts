import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import type { ApiKeyRecord, TeamRecord, UserRecord } from "../../identity/identity-store.js";
import { createApiKeyRepository } from "./api-key-repository.js";
import { createUserRepository } from "./user-repository.js";

export interface FirstAdmin {
  user: UserRecord;
  team: TeamRecord;
  key: ApiKeyRecord;
  /** The whole API key: shown once. */
  secret: string;
}

const existsRow = z.object({ exists: z.boolean() });

/**
 * On an empty users table only: an admin with a personal team and an API key
 * named "bootstrap", in one transaction under an advisory lock, so of two
 * controlplanes starting on one new database exactly one creates it (the
 * other waits, then finds a user). `publish` runs inside the transaction (it
 * writes the key file): if it fails, nothing was created. Null when there
 * were users already.
 */
export async function createFirstAdmin(
  pool: DatabasePool,
  admin: { email: string; passwordHash: string },
  publish: (created: FirstAdmin) => Promise<void>,
): Promise<FirstAdmin | null> {
  return pool.transaction(async (tx) => {
    await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('wrenn:bootstrap-admin'))`);
    const { exists } = await tx.one(sql.type(existsRow)`SELECT EXISTS (SELECT 1 FROM users) AS exists`);
    if (exists) return null;
    const made = await createUserRepository(tx).createWithPersonalTeam(
      { email: admin.email, displayName: "Admin", passwordHash: admin.passwordHash, isAdmin: true },
      "admin",
    );
    if (!made) throw new Error("bootstrap admin's email is taken in an empty users table");
    const { key, secret } = await createApiKeyRepository(tx).create({ teamId: made.team.id, name: "bootstrap", createdBy: null, expiresAt: null });
    const created = { ...made, key, secret };
    await publish(created);
    return created;
  });
}

/** Whether any user exists: the cheap check before hashing a password nobody may need. */
export async function hasUsers(pool: DatabasePool): Promise<boolean> {
  return (await pool.one(sql.type(existsRow)`SELECT EXISTS (SELECT 1 FROM users) AS exists`)).exists;
}
