import { sql, type CommonQueryMethods } from "slonik";
import { z } from "zod";
import { newUuid } from "@wrenn/shared";
import type { TeamRecord, TeamStore } from "../../identity/identity-store.js";
import type { TeamRole } from "../../identity/principal.js";

/** The columns of a team row (`teamColumns`), for schemas that add to them. */
export const teamFields = {
  id: z.string().uuid(),
  name: z.string(),
  personal_for: z.string().uuid().nullable(),
  sandbox_quota: z.number(),
  created_at: z.number(),
};

export const teamRoleField = z.enum(["owner", "admin", "member"]);

export function toTeamRecord(row: z.infer<z.ZodObject<typeof teamFields>>): TeamRecord {
  return { id: row.id, name: row.name, personalFor: row.personal_for, sandboxQuota: row.sandbox_quota, createdAt: new Date(row.created_at) };
}

export const teamRow = z.object(teamFields).transform(toTeamRecord);

export const teamColumns = sql.fragment`id, name, personal_for, sandbox_quota, created_at`;

const roleRow = z.object({ role: teamRoleField });

/** The user's personal team and their owner membership; run inside the transaction that made the user. */
export async function insertPersonalTeam(tx: CommonQueryMethods, userId: string, name: string): Promise<TeamRecord> {
  const team = await tx.one(sql.type(teamRow)`
    INSERT INTO teams (id, name, personal_for) VALUES (${newUuid()}::uuid, ${name}, ${userId}::uuid)
    RETURNING ${teamColumns}`);
  await tx.query(sql.unsafe`INSERT INTO team_members (team_id, user_id, role) VALUES (${team.id}::uuid, ${userId}::uuid, 'owner')`);
  return team;
}

/** The team lookups authentication needs (the rest of teams is the team repository's). */
export function createTeamBasics(pool: CommonQueryMethods): TeamStore {
  return {
    async get(teamId) {
      return pool.maybeOne(sql.type(teamRow)`SELECT ${teamColumns} FROM teams WHERE id = ${teamId}::uuid`);
    },
    async personalTeamOf(userId) {
      return pool.maybeOne(sql.type(teamRow)`SELECT ${teamColumns} FROM teams WHERE personal_for = ${userId}::uuid`);
    },
    async roleOf(teamId, userId): Promise<TeamRole | null> {
      const row = await pool.maybeOne(sql.type(roleRow)`
        SELECT role FROM team_members WHERE team_id = ${teamId}::uuid AND user_id = ${userId}::uuid`);
      return row?.role ?? null;
    },
  };
}
