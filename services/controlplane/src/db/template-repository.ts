import { sql, type DatabasePool, type DatabaseTransactionConnection } from "slonik";
import { z } from "zod";
import { templateStatuses, type NewTemplate, type TemplateRecord } from "../templates/template.js";
import type { TemplateStore } from "../templates/template-store.js";

/** int8 comes back as a BigInt; sizes fit a double exactly. */
const int8 = z.union([z.bigint(), z.number()]).transform(Number);

export const templateRow = z
  .object({
    id: z.string().uuid(),
    team_id: z.string().uuid().nullable(),
    name: z.string(),
    tag: z.string(),
    status: z.enum(templateStatuses),
    host_template_id: z.string(),
    host_id: z.string().uuid().nullable(),
    vcpus: z.number(),
    memory_mib: z.number(),
    disk_mib: z.number(),
    default_user: z.string(),
    default_workdir: z.string(),
    envs: z.record(z.string()),
    parent: z.string(),
    build_id: z.string().uuid().nullable(),
    source_sandbox_id: z.string().uuid().nullable(),
    disk_bytes: int8,
    created_at: z.number(),
  })
  .transform(
    (row): TemplateRecord => ({
      id: row.id,
      teamId: row.team_id,
      name: row.name,
      tag: row.tag,
      status: row.status,
      hostTemplateId: row.host_template_id,
      hostId: row.host_id,
      resources: { vcpus: row.vcpus, memoryMib: row.memory_mib, diskMib: row.disk_mib },
      defaultUser: row.default_user,
      defaultWorkdir: row.default_workdir,
      envs: row.envs,
      parent: row.parent,
      buildId: row.build_id,
      sourceSandboxId: row.source_sandbox_id,
      diskBytes: row.disk_bytes,
      createdAt: new Date(row.created_at),
    }),
  );

const columns = sql.fragment`id, team_id, name, tag, status, host_template_id, host_id, vcpus, memory_mib, disk_mib,
  default_user, default_workdir, envs, parent, build_id, source_sandbox_id, disk_bytes, created_at`;

/** The same owner: a team, or the platform (team_id null). */
const sameOwner = (teamId: string | null) => (teamId === null ? sql.fragment`team_id IS NULL` : sql.fragment`team_id = ${teamId}::uuid`);

/** Inserts a ready template, superseding the ready one of the same owner, name and tag (inside `tx`). */
export async function insertReadyTemplate(tx: DatabaseTransactionConnection, t: NewTemplate): Promise<TemplateRecord> {
  await tx.query(sql.unsafe`
    UPDATE templates SET status = 'superseded'
    WHERE ${sameOwner(t.teamId)} AND name = ${t.name} AND tag = ${t.tag} AND status = 'ready'`);
  return tx.one(sql.type(templateRow)`
    INSERT INTO templates (id, team_id, name, tag, status, host_template_id, host_id, vcpus, memory_mib, disk_mib,
                           default_user, default_workdir, envs, parent, build_id, source_sandbox_id, disk_bytes)
    VALUES (${t.id}::uuid, ${t.teamId}::uuid, ${t.name}, ${t.tag}, 'ready', ${t.hostTemplateId}, ${t.hostId}::uuid,
            ${t.resources.vcpus}, ${t.resources.memoryMib}, ${t.resources.diskMib}, ${t.defaultUser}, ${t.defaultWorkdir},
            ${sql.jsonb(t.envs)}, ${t.parent}, ${t.buildId}::uuid, ${t.sourceSandboxId}::uuid, ${t.diskBytes})
    RETURNING ${columns}`);
}

/** The PostgreSQL implementation of the template store. */
export function createTemplateRepository(pool: DatabasePool): TemplateStore {
  return {
    get: (id) => pool.maybeOne(sql.type(templateRow)`SELECT ${columns} FROM templates WHERE id = ${id}::uuid`),

    findByName: (teamId, name, tag) =>
      pool.maybeOne(sql.type(templateRow)`
        SELECT ${columns} FROM templates WHERE ${sameOwner(teamId)} AND name = ${name} AND tag = ${tag} AND status = 'ready'`),

    async listVisible(teamId) {
      const rows = await pool.any(sql.type(templateRow)`
        SELECT ${columns} FROM templates
        WHERE (team_id = ${teamId}::uuid OR team_id IS NULL) AND status = 'ready'
        ORDER BY team_id IS NULL, name, tag, created_at`);
      return [...rows];
    },

    insertReady: (template) => pool.transaction((tx) => insertReadyTemplate(tx, template)),

    countUsers: (id) =>
      pool.oneFirst(sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM sandboxes WHERE template_uuid = ${id}::uuid AND status <> 'stopped'`),

    async markDeleting(id) {
      const row = await pool.maybeOne(sql.type(z.object({ users: z.number(), marked: z.boolean() }))`
        WITH users AS (
          SELECT count(*)::int AS n FROM sandboxes WHERE template_uuid = ${id}::uuid AND status <> 'stopped'
        ), marked AS (
          UPDATE templates SET status = 'deleting'
          WHERE id = ${id}::uuid AND status <> 'deleting' AND (SELECT n FROM users) = 0
          RETURNING id
        )
        SELECT (SELECT n FROM users) AS users, EXISTS (SELECT 1 FROM marked) AS marked`);
      return row ?? { users: 0, marked: false };
    },

    async unmarkDeleting(id) {
      await pool.query(sql.unsafe`
        UPDATE templates t SET status = CASE WHEN EXISTS (
          SELECT 1 FROM templates o
          WHERE o.id <> t.id AND o.status = 'ready' AND o.name = t.name AND o.tag = t.tag
            AND coalesce(o.team_id, '00000000-0000-0000-0000-000000000000'::uuid) = coalesce(t.team_id, '00000000-0000-0000-0000-000000000000'::uuid)
        ) THEN 'superseded' ELSE 'ready' END
        WHERE id = ${id}::uuid AND status = 'deleting'`);
    },

    async delete(id) {
      await pool.query(sql.unsafe`DELETE FROM templates WHERE id = ${id}::uuid`);
    },

    async seedPlatform(templates) {
      await pool.transaction(async (tx) => {
        // Two copies starting together: the second waits here and then finds the rows.
        await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('wrenn:platform-templates'))`);
        for (const t of templates) {
          const existing = await tx.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
            SELECT id FROM templates WHERE team_id IS NULL AND name = ${t.name} AND tag = ${t.tag} AND status = 'ready'`);
          if (existing === null) await insertReadyTemplate(tx, t);
        }
      });
    },

    async updatePlatformSizes(hostTemplateId, sizes) {
      await pool.query(sql.unsafe`
        UPDATE templates SET vcpus = ${sizes.vcpus}, memory_mib = ${sizes.memoryMib}, disk_mib = ${sizes.diskMib},
                             disk_bytes = ${sizes.diskBytes}
        WHERE team_id IS NULL AND host_id IS NULL AND host_template_id = ${hostTemplateId} AND status = 'ready'`);
    },
  };
}
