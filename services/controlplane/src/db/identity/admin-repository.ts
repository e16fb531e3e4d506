import { sql, type DatabasePool, type DatabaseTransactionConnection, type FragmentSqlToken } from "slonik";
import { z } from "zod";
import { toWireId } from "@wrenn/shared";
import type { AdminChange, AdminStore, HostSummary, ListCursor, Page } from "../../identity/admin-store.js";
import { teamColumns, teamRow } from "./personal-team.js";
import { userColumns, userRow } from "./user-row.js";
import { anonymizeAuditEntriesOf } from "./audit-repository.js";

const cursorColumn = sql.fragment`(extract(epoch from created_at) * 1000000)::bigint::text AS cursor_us`;

/** Rows after `after` in (created_at, id) order; created_at rebuilt exactly from microseconds. */
function afterCursor(after: ListCursor | null): FragmentSqlToken {
  if (!after) return sql.fragment`TRUE`;
  return sql.fragment`(created_at, id) > (timestamptz 'epoch' + ${after.createdAtMicros}::bigint * interval '1 microsecond', ${after.id}::uuid)`;
}

/** The rows of a page plus one more, to know whether another page follows. */
function toPage<T extends { id: string }>(rows: readonly (T & { cursor_us: string })[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(({ cursor_us: _cursor, ...item }) => item as unknown as T),
    next: rows.length > limit && last ? { createdAtMicros: last.cursor_us, id: last.id } : null,
  };
}

const cursorOnly = z.object({ cursor_us: z.string() });

const hostRow = z
  .object({
    id: z.string().uuid(),
    address: z.string(),
    status: z.string(),
    runtime: z.string(),
    cpu_count: z.number(),
    memory_bytes: z.union([z.bigint(), z.number()]).transform(Number),
    last_seen_at: z.number().nullable(),
    free_memory_bytes: z.union([z.bigint(), z.number()]).transform(Number),
    load_average: z.number(),
    disk_free_bytes: z.union([z.bigint(), z.number()]).transform(Number),
    sandbox_count: z.number(),
    sandbox_memory_bytes: z.union([z.bigint(), z.number()]).transform(Number),
    templates: z.array(z.string()),
    registered_at: z.number().nullable(),
    certificate_expires_at: z.number().nullable(),
  })
  .transform(
    (row): HostSummary => ({
      registeredAt: row.registered_at === null ? null : new Date(row.registered_at),
      certificateExpiresAt: row.certificate_expires_at === null ? null : new Date(row.certificate_expires_at),
      id: row.id,
      address: row.address,
      status: row.status,
      runtime: row.runtime,
      cpuCount: row.cpu_count,
      memoryBytes: row.memory_bytes,
      lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at),
      freeMemoryBytes: row.free_memory_bytes,
      loadAverage: row.load_average,
      diskFreeBytes: row.disk_free_bytes,
      sandboxCount: row.sandbox_count,
      sandboxMemoryBytes: row.sandbox_memory_bytes,
      templates: row.templates,
    }),
  );

/**
 * Locks every active admin row, in id order (so concurrent statements queue
 * instead of deadlocking). Under READ COMMITTED a statement that waited for a
 * lock re-reads the row as the other transaction left it and drops it if it
 * is no longer an active admin, so each waiting statement counts what the
 * ones before it left: a plain count would let two revocations both see two.
 */
const lockedAdmins = sql.fragment`
  locked_admins AS (
    SELECT id FROM users WHERE is_admin AND deactivated_at IS NULL AND deleted_at IS NULL ORDER BY id FOR UPDATE
  )`;

/** True unless `users` (the row being changed) is an active admin and no other is left. */
const notTheLastAdmin = sql.fragment`
  (NOT users.is_admin OR users.deactivated_at IS NOT NULL OR (SELECT count(*) FROM locked_admins) > 1)`;

/** The PostgreSQL admin store. */
export function createAdminRepository(pool: DatabasePool): AdminStore {
  /** Tells a refused conditional change apart: no such (live) user, or the last admin. */
  async function refusal(tx: DatabasePool | DatabaseTransactionConnection, userId: string): Promise<AdminChange> {
    const exists = await tx.exists(sql.unsafe`SELECT 1 FROM users WHERE id = ${userId}::uuid AND deleted_at IS NULL`);
    return exists ? { outcome: "last_admin" } : { outcome: "not_found" };
  }

  async function guarded(
    tx: DatabasePool | DatabaseTransactionConnection,
    userId: string,
    set: FragmentSqlToken,
  ): Promise<AdminChange> {
    const user = await tx.maybeOne(sql.type(userRow)`
      WITH ${lockedAdmins}
      UPDATE users SET ${set}, updated_at = now()
      WHERE users.id = ${userId}::uuid AND users.deleted_at IS NULL AND ${notTheLastAdmin}
      RETURNING ${userColumns()}`);
    return user ? { outcome: "changed", user } : refusal(tx, userId);
  }

  /** A change that can never cost the platform its last admin (granting, reactivating): no guard needed. */
  async function updateUndeletedUser(userId: string, set: FragmentSqlToken) {
    const user = await pool.maybeOne(sql.type(userRow)`
      UPDATE users SET ${set}, updated_at = now() WHERE id = ${userId}::uuid AND deleted_at IS NULL
      RETURNING ${userColumns()}`);
    return user ? ({ outcome: "changed", user } as const) : ({ outcome: "not_found" } as const);
  }

  return {
    async grantAdmin(userId) {
      return updateUndeletedUser(userId, sql.fragment`is_admin = true`);
    },

    async revokeAdmin(userId) {
      return guarded(pool, userId, sql.fragment`is_admin = false`);
    },

    async listUsers(after, limit) {
      const rows = await pool.any(sql.type(z.intersection(userRow, cursorOnly))`
        SELECT ${userColumns()}, ${cursorColumn} FROM users
        WHERE deleted_at IS NULL AND ${afterCursor(after)}
        ORDER BY created_at, id LIMIT ${limit + 1}`);
      return toPage(rows, limit);
    },

    async listTeams(after, limit) {
      const rows = await pool.any(sql.type(z.intersection(teamRow, cursorOnly))`
        SELECT ${teamColumns}, ${cursorColumn} FROM teams
        WHERE ${afterCursor(after)}
        ORDER BY created_at, id LIMIT ${limit + 1}`);
      return toPage(rows, limit);
    },

    async listHosts() {
      const rows = await pool.any(sql.type(hostRow)`
        SELECT id, address, status, runtime, cpu_count, memory_bytes, last_seen_at,
               free_memory_bytes, load_average, disk_free_bytes, sandbox_count, sandbox_memory_bytes, templates,
               registered_at, certificate_expires_at
        FROM hosts ORDER BY address, id`);
      return [...rows];
    },

    async deactivateUser(userId) {
      return pool.transaction(async (tx) => {
        const change = await guarded(tx, userId, sql.fragment`deactivated_at = coalesce(users.deactivated_at, now())`);
        if (change.outcome === "changed") await revokeSessions(tx, userId);
        return change;
      });
    },

    async reactivateUser(userId) {
      return updateUndeletedUser(userId, sql.fragment`deactivated_at = NULL`);
    },

    async deleteUser(userId) {
      return pool.transaction(async (tx) => {
        // A user deleted already keeps their first deletion time (and purge date).
        const again = await tx.maybeOne(sql.type(userRow)`
          SELECT ${userColumns()} FROM users WHERE id = ${userId}::uuid AND deleted_at IS NOT NULL`);
        if (again) return { outcome: "changed", user: again } as const;
        const change = await guarded(
          tx,
          userId,
          sql.fragment`deleted_at = now(), deactivated_at = coalesce(users.deactivated_at, now())`,
        );
        if (change.outcome !== "changed") return change;
        await revokeSessions(tx, userId);
        await tx.query(sql.unsafe`UPDATE api_keys SET revoked_at = now() WHERE created_by = ${userId}::uuid AND revoked_at IS NULL`);
        return change;
      });
    },

    async purgeDeletedUsers(deletedBefore) {
      let purged = 0;
      for (;;) {
        const done = await pool.transaction(async (tx) => {
          // One user per transaction; SKIP LOCKED lets two controlplanes purge side by side.
          const user = await tx.maybeOne(sql.type(z.object({ id: z.string().uuid(), email: z.string() }))`
            SELECT id, email FROM users WHERE deleted_at < ${sql.timestamp(deletedBefore)}
            ORDER BY deleted_at LIMIT 1 FOR UPDATE SKIP LOCKED`);
          if (!user) return true;
          await anonymizeAuditEntriesOf(tx, { id: user.id, wireId: toWireId("usr", user.id), email: user.email });
          // Keys they made would otherwise lose their creator and pass as a bootstrap key's.
          await tx.query(sql.unsafe`UPDATE api_keys SET revoked_at = now() WHERE created_by = ${user.id}::uuid AND revoked_at IS NULL`);
          await tx.query(sql.unsafe`DELETE FROM users WHERE id = ${user.id}::uuid`);
          return false;
        });
        if (done) return purged;
        purged += 1;
      }
    },
  };
}

async function revokeSessions(tx: DatabaseTransactionConnection, userId: string): Promise<void> {
  await tx.query(sql.unsafe`UPDATE sessions SET revoked_at = now() WHERE user_id = ${userId}::uuid AND revoked_at IS NULL`);
}
