import { sql, UniqueIntegrityConstraintViolationError, type CommonQueryMethods } from "slonik";
import { newUuid } from "@wrenn/shared";
import type { UserStore } from "../../identity/identity-store.js";
import { insertPersonalTeam } from "./personal-team.js";
import { userColumns, userRow } from "./user-row.js";

/** The PostgreSQL implementation of the identity UserStore. */
export function createUserRepository(pool: CommonQueryMethods): UserStore {
  return {
    async get(id) {
      return pool.maybeOne(sql.type(userRow)`SELECT ${userColumns()} FROM users WHERE id = ${id}::uuid`);
    },

    async findByEmail(email) {
      return pool.maybeOne(sql.type(userRow)`SELECT ${userColumns()} FROM users WHERE lower(email) = lower(${email})`);
    },

    async createWithPersonalTeam(input, teamName) {
      try {
        return await pool.transaction(async (tx) => {
          const user = await tx.one(sql.type(userRow)`
            INSERT INTO users (id, email, display_name, password_hash, is_admin)
            VALUES (${newUuid()}::uuid, ${input.email}, ${input.displayName ?? ""}, ${input.passwordHash}, ${input.isAdmin ?? false})
            RETURNING ${userColumns()}`);
          const team = await insertPersonalTeam(tx, user.id, teamName ?? personalTeamName(user.displayName, user.email));
          return { user, team };
        });
      } catch (err) {
        // The only unique column a new user and personal team can collide on is the email.
        if (err instanceof UniqueIntegrityConstraintViolationError) return null;
        throw err;
      }
    },
  };
}

/** "Ada's team", or the email's local part when no name was given; at most 100 characters (the column's limit). */
function personalTeamName(displayName: string, email: string): string {
  const who = displayName.trim() || email.split("@")[0] || email;
  return `${who.slice(0, 90)}'s team`;
}
