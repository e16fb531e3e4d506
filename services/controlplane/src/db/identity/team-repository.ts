import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import { newUuid } from "@wrenn/shared";
import type { TeamRole } from "../../identity/principal.js";
import { teamFields, teamRoleField, toTeamRecord } from "./personal-team.js";
import type { MemberChangeRefusal, MemberRecord, MemberTeam, TeamMembershipStore } from "../../identity/team-membership-store.js";

const role = teamRoleField;

const memberTeamRow = z.object({ ...teamFields, role }).transform((row): MemberTeam => ({ ...toTeamRecord(row), role: row.role }));

const memberRow = z
  .object({ user_id: z.string().uuid(), email: z.string(), display_name: z.string(), role, joined_at: z.number() })
  .transform(
    (row): MemberRecord => ({ userId: row.user_id, email: row.email, displayName: row.display_name, role: row.role, joinedAt: new Date(row.joined_at) }),
  );

const memberTeamColumns = sql.fragment`t.id, t.name, t.personal_for, t.sandbox_quota, t.created_at, m.role`;

/**
 * The team's owner rows, locked (FOR UPDATE, in a fixed order so two
 * statements never deadlock): a second statement that would also remove an
 * owner waits here until the first commits, then sees the owners that are
 * left. Read Committed re-reads a locked row after the wait, and a row the
 * first statement deleted or demoted drops out of the count.
 */
function lockedOwners(teamId: string) {
  return sql.fragment`owners AS MATERIALIZED (
    SELECT user_id FROM team_members WHERE team_id = ${teamId}::uuid AND role = 'owner' ORDER BY user_id FOR UPDATE)`;
}

export function createTeamRepository(pool: DatabasePool): TeamMembershipStore {
  /** Why a guarded statement changed no row (read afterwards; a race in between changes only the message). */
  async function refusal(teamId: string, userId: string, targetRoles: readonly TeamRole[]): Promise<MemberChangeRefusal> {
    const row = await pool.maybeOne(sql.type(z.object({ role }))`
      SELECT role FROM team_members WHERE team_id = ${teamId}::uuid AND user_id = ${userId}::uuid`);
    if (!row) return "not_member";
    return targetRoles.includes(row.role) ? "last_owner" : "role_not_allowed";
  }

  return {
    async createTeam(ownerId, name) {
      return pool.one(sql.type(memberTeamRow)`
        WITH t AS (INSERT INTO teams (id, name) VALUES (${newUuid()}::uuid, ${name}) RETURNING *),
             m AS (INSERT INTO team_members (team_id, user_id, role) SELECT id, ${ownerId}::uuid, 'owner' FROM t RETURNING role)
        SELECT ${memberTeamColumns} FROM t, m`);
    },

    async listTeams(userId) {
      const rows = await pool.any(sql.type(memberTeamRow)`
        SELECT ${memberTeamColumns} FROM team_members m JOIN teams t ON t.id = m.team_id
        WHERE m.user_id = ${userId}::uuid
        ORDER BY t.personal_for IS NULL, t.created_at, t.id`);
      return [...rows];
    },

    async teamOf(teamId, userId) {
      return pool.maybeOne(sql.type(memberTeamRow)`
        SELECT ${memberTeamColumns} FROM team_members m JOIN teams t ON t.id = m.team_id
        WHERE m.team_id = ${teamId}::uuid AND m.user_id = ${userId}::uuid`);
    },

    async listMembers(teamId) {
      const rows = await pool.any(sql.type(memberRow)`
        SELECT m.user_id, u.email, u.display_name, m.role, m.created_at AS joined_at
        FROM team_members m JOIN users u ON u.id = m.user_id
        WHERE m.team_id = ${teamId}::uuid
        ORDER BY m.created_at, m.user_id`);
      return [...rows];
    },

    async hasMemberWithEmail(teamId, email) {
      return pool.exists(sql.unsafe`
        SELECT 1 FROM team_members m JOIN users u ON u.id = m.user_id
        WHERE m.team_id = ${teamId}::uuid AND lower(u.email) = lower(${email})`);
    },

    async createInvite(invite) {
      const row = await pool.one(sql.type(z.object({ id: z.string().uuid(), expires_at: z.number() }))`
        INSERT INTO team_invites (id, team_id, email, role, token_hash, invited_by, expires_at)
        VALUES (${newUuid()}::uuid, ${invite.teamId}::uuid, ${invite.email}, ${invite.role}, ${sql.binary(invite.tokenHash)},
                ${invite.invitedBy}::uuid, ${sql.timestamp(invite.expiresAt)})
        RETURNING id, expires_at`);
      return { id: row.id, expiresAt: new Date(row.expires_at) };
    },

    async acceptInvite(tokenHash, user) {
      // Marking the invite used and adding the member are one statement: of
      // two accepts at once, the second finds accepted_at set and adds nobody.
      const accepted = await pool.maybeOne(sql.type(z.object({ team_id: z.string().uuid() }))`
        WITH used AS (
          UPDATE team_invites SET accepted_at = now()
          WHERE token_hash = ${sql.binary(tokenHash)} AND accepted_at IS NULL AND expires_at > now() AND lower(email) = lower(${user.email})
          RETURNING team_id, role),
        joined AS (
          INSERT INTO team_members (team_id, user_id, role) SELECT team_id, ${user.id}::uuid, role FROM used
          ON CONFLICT (team_id, user_id) DO NOTHING)
        SELECT team_id FROM used`);
      if (accepted) return { outcome: "accepted", teamId: accepted.team_id };
      const live = await pool.exists(sql.unsafe`
        SELECT 1 FROM team_invites WHERE token_hash = ${sql.binary(tokenHash)} AND accepted_at IS NULL AND expires_at > now()`);
      return live ? { outcome: "wrong_email" } : { outcome: "invalid" };
    },

    async setRole(teamId, userId, newRole, targetRoles) {
      // Demoting an owner is refused when no other owner would be left.
      const row = await pool.maybeOne(sql.type(memberRow)`
        WITH ${lockedOwners(teamId)},
        changed AS (
          UPDATE team_members m SET role = ${newRole}
          WHERE m.team_id = ${teamId}::uuid AND m.user_id = ${userId}::uuid
            AND m.role = ANY(${sql.array([...targetRoles], "text")})
            AND (m.role <> 'owner' OR ${newRole} = 'owner' OR (SELECT count(*) FROM owners WHERE user_id <> m.user_id) > 0)
          RETURNING m.user_id, m.role, m.created_at)
        SELECT c.user_id, u.email, u.display_name, c.role, c.created_at AS joined_at FROM changed c JOIN users u ON u.id = c.user_id`);
      return row ?? refusal(teamId, userId, targetRoles);
    },

    async removeMember(teamId, userId, targetRoles) {
      const removed = await pool.maybeOne(sql.type(z.object({ user_id: z.string().uuid() }))`
        WITH ${lockedOwners(teamId)}
        DELETE FROM team_members m
        WHERE m.team_id = ${teamId}::uuid AND m.user_id = ${userId}::uuid
          AND m.role = ANY(${sql.array([...targetRoles], "text")})
          AND (m.role <> 'owner' OR (SELECT count(*) FROM owners WHERE user_id <> m.user_id) > 0)
        RETURNING m.user_id`);
      return removed ? "removed" : refusal(teamId, userId, targetRoles);
    },
  };
}
