import { sql, type DatabasePool, type DatabaseTransactionConnection, type FragmentSqlToken } from "slonik";
import { z } from "zod";
import type { AuditEntry, AuditStore } from "../../identity/audit.js";

const auditRow = z
  .object({
    id: z.union([z.bigint(), z.number(), z.string()]).transform(String),
    scope: z.enum(["team", "admin"]),
    team_id: z.string().uuid().nullable(),
    actor_user_id: z.string().uuid().nullable(),
    actor_name: z.string(),
    actor_key_prefix: z.string(),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string(),
    result: z.enum(["success", "failure"]),
    ip: z.string(),
    details: z.record(z.unknown()),
    created_at: z.number(),
  })
  .transform(
    (row): AuditEntry => ({
      id: row.id,
      scope: row.scope,
      teamId: row.team_id,
      actorUserId: row.actor_user_id,
      actorName: row.actor_name,
      actorKeyPrefix: row.actor_key_prefix,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      result: row.result,
      ip: row.ip,
      details: row.details,
      time: new Date(row.created_at),
    }),
  );

const columns = sql.fragment`id, scope, team_id, actor_user_id, actor_name, actor_key_prefix, action, resource_type, resource_id,
  result, ip, details, created_at`;

/** The PostgreSQL audit log (table audit_logs). */
export function createAuditRepository(pool: DatabasePool): AuditStore {
  return {
    async insert(entry) {
      const scope = entry.scope ?? (entry.teamId ? "team" : "admin");
      await pool.query(sql.unsafe`
        INSERT INTO audit_logs (scope, team_id, actor_user_id, actor_name, actor_key_prefix, action, resource_type, resource_id,
                                result, ip, details, created_at)
        VALUES (${scope}, ${entry.teamId}::uuid, ${entry.actor.userId}::uuid, ${entry.actor.name}, ${entry.actor.keyPrefix},
                ${entry.action}, ${entry.resourceType}, ${entry.resourceId ?? ""}, ${entry.result}, ${entry.ip ?? ""},
                ${sql.jsonb(JSON.parse(JSON.stringify(entry.details ?? {})) as never)},
                ${entry.time ? sql.timestamp(entry.time) : sql.fragment`now()`})`);
    },

    async list(query) {
      const conditions: FragmentSqlToken[] = [];
      if (query.teamId) conditions.push(sql.fragment`scope = 'team' AND team_id = ${query.teamId}::uuid`);
      if (query.action) {
        conditions.push(
          query.action.endsWith(".")
            ? sql.fragment`starts_with(action, ${query.action})`
            : sql.fragment`action = ${query.action}`,
        );
      }
      if (query.actorUserId) conditions.push(sql.fragment`actor_user_id = ${query.actorUserId}::uuid`);
      if (query.resourceId) conditions.push(sql.fragment`resource_id = ${query.resourceId}`);
      if (query.result) conditions.push(sql.fragment`result = ${query.result}`);
      if (query.since) conditions.push(sql.fragment`created_at >= ${sql.timestamp(query.since)}`);
      if (query.until) conditions.push(sql.fragment`created_at < ${sql.timestamp(query.until)}`);
      if (query.beforeId) conditions.push(sql.fragment`id < ${query.beforeId}::bigint`);
      const where = conditions.length ? sql.fragment`WHERE ${sql.join(conditions, sql.fragment` AND `)}` : sql.fragment``;
      const rows = await pool.any(sql.type(auditRow)`
        SELECT ${columns} FROM audit_logs ${where} ORDER BY id DESC LIMIT ${query.limit}`);
      return [...rows];
    },
  };
}

/**
 * What a purge leaves of a user in the audit log (run in the transaction that
 * deletes them): entries they made read "deleted-user" with no user id,
 * entries about them lose the resource id, and every detail that mentions
 * their email (a value equal to it, or a refusal's message quoting it) is
 * taken out of every entry.
 */
export async function anonymizeAuditEntriesOf(
  tx: DatabaseTransactionConnection,
  user: { id: string; wireId: string; email: string },
): Promise<void> {
  await tx.query(sql.unsafe`
    UPDATE audit_logs SET actor_user_id = NULL, actor_name = 'deleted-user'
    WHERE actor_user_id = ${user.id}::uuid OR lower(actor_name) = lower(${user.email})`);
  await tx.query(sql.unsafe`
    UPDATE audit_logs SET resource_id = '' WHERE resource_id IN (${user.wireId}, ${user.id})`);
  await tx.query(sql.unsafe`
    UPDATE audit_logs
    SET details = (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) FROM jsonb_each(details)
                   WHERE NOT (jsonb_typeof(value) = 'string' AND strpos(lower(value #>> '{}'), lower(${user.email})) > 0))
    WHERE EXISTS (SELECT 1 FROM jsonb_each_text(details) AS d WHERE strpos(lower(d.value), lower(${user.email})) > 0)`);
}
