import { sql, type DatabasePool, type DatabaseTransactionConnection } from "slonik";
import { z } from "zod";
import { safeStatusMessage } from "@wrenn/shared";
import { buildStatuses, type BuildEventBody, type BuildRecord, type BuildStore } from "../templates/build.js";
import { insertReadyTemplate } from "./template-repository.js";

const int8 = z.union([z.bigint(), z.number()]).transform(Number);

const buildRow = z
  .object({
    id: z.string().uuid(),
    team_id: z.string().uuid().nullable(),
    platform: z.boolean(),
    name: z.string(),
    tag: z.string(),
    recipe: z.string(),
    from_template: z.string().uuid().nullable(),
    status: z.enum(buildStatuses),
    error: z.string(),
    failed_line: z.number(),
    steps_total: z.number(),
    steps_done: z.number(),
    steps_cached: z.number(),
    vcpus: z.number(),
    memory_mib: z.number(),
    disk_mib: z.number(),
    host_id: z.string().uuid().nullable(),
    host_template_id: z.string(),
    template_id: z.string().uuid().nullable(),
    archive_sha256: z.string(),
    archive_bytes: int8,
    last_seq: int8,
    created_at: z.number(),
    started_at: z.number().nullable(),
    finished_at: z.number().nullable(),
  })
  .transform(
    (row): BuildRecord => ({
      id: row.id,
      teamId: row.team_id,
      platform: row.platform,
      name: row.name,
      tag: row.tag,
      recipe: row.recipe,
      fromTemplate: row.from_template,
      status: row.status,
      error: row.error,
      failedLine: row.failed_line,
      stepsTotal: row.steps_total,
      stepsDone: row.steps_done,
      stepsCached: row.steps_cached,
      resources: { vcpus: row.vcpus, memoryMib: row.memory_mib, diskMib: row.disk_mib },
      hostId: row.host_id,
      hostTemplateId: row.host_template_id,
      templateId: row.template_id,
      archiveSha256: row.archive_sha256,
      archiveBytes: row.archive_bytes,
      lastSeq: row.last_seq,
      createdAt: new Date(row.created_at),
      startedAt: row.started_at === null ? null : new Date(row.started_at),
      finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    }),
  );

const columns = sql.fragment`id, team_id, platform, name, tag, recipe, from_template, status, error, failed_line, steps_total,
  steps_done, steps_cached, vcpus, memory_mib, disk_mib, host_id, host_template_id, template_id, archive_sha256, archive_bytes,
  last_seq, created_at, started_at, finished_at`;

const eventRow = z.object({ seq: int8, at: z.number(), event: z.record(z.unknown()) });

/**
 * A value jsonb takes: NUL and lone surrogates (a build's output may hold
 * any bytes) replaced by U+FFFD, or the insert would fail and the follower
 * would retry the same event forever.
 */
function storable(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  if (Array.isArray(value)) return value.map(storable);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storable(v)]));
  return value;
}

/** Inserts one event and applies its progress to the row; false when that seq was stored already. */
async function appendIn(tx: DatabaseTransactionConnection, id: string, event: { seq: number; at: Date; body: BuildEventBody }): Promise<boolean> {
  const inserted = await tx.maybeOneFirst(sql.type(z.object({ seq: int8 }))`
    INSERT INTO build_events (build_id, seq, at, event)
    VALUES (${id}::uuid, ${event.seq}, ${sql.timestamp(event.at)}, ${sql.jsonb(storable(event.body) as never)})
    ON CONFLICT (build_id, seq) DO NOTHING
    RETURNING seq`);
  if (inserted === null) return false;
  const body = event.body;
  const finished = "stepFinished" in body ? 1 : 0;
  const cached = "stepFinished" in body && body.stepFinished.cached ? 1 : 0;
  const failedLine = "stepFailed" in body ? sql.fragment`${body.stepFailed.line}` : sql.fragment`failed_line`;
  await tx.query(sql.unsafe`
    UPDATE builds SET last_seq = greatest(last_seq, ${event.seq}), steps_done = steps_done + ${finished},
                      steps_cached = steps_cached + ${cached}, failed_line = ${failedLine}
    WHERE id = ${id}::uuid`);
  return true;
}

/** The PostgreSQL implementation of the build store. */
export function createBuildRepository(pool: DatabasePool): BuildStore {
  return {
    insertQueued: (b) =>
      pool.one(sql.type(buildRow)`
        INSERT INTO builds (id, team_id, platform, name, tag, recipe, from_template, status, vcpus, memory_mib, disk_mib, host_id, host_template_id)
        VALUES (${b.id}::uuid, ${b.teamId}::uuid, ${b.platform}, ${b.name}, ${b.tag}, ${b.recipe}, ${b.fromTemplate}::uuid, 'queued',
                ${b.resources.vcpus}, ${b.resources.memoryMib}, ${b.resources.diskMib}, ${b.hostId}::uuid, ${b.hostTemplateId})
        RETURNING ${columns}`),

    insertPlatformQueued: (b, retryAfterSeconds) =>
      pool.transaction(async (tx) => {
        // Two copies deciding together: the second waits here, then sees the first one's build.
        await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext(${`wrenn:platform-build:${b.name}:${b.tag}`}))`);
        const blocker = await tx.maybeOneFirst(sql.type(z.object({ why: z.string() }))`
          SELECT 'ready' AS why FROM templates WHERE team_id IS NULL AND name = ${b.name} AND tag = ${b.tag} AND status = 'ready'
          UNION ALL
          SELECT status AS why FROM builds
          WHERE team_id IS NULL AND platform AND name = ${b.name} AND tag = ${b.tag}
            AND (status IN ('queued', 'running') OR (status <> 'succeeded' AND finished_at > now() - make_interval(secs => ${retryAfterSeconds})))
          LIMIT 1`);
        if (blocker !== null) return null;
        return tx.one(sql.type(buildRow)`
          INSERT INTO builds (id, team_id, platform, name, tag, recipe, from_template, status, vcpus, memory_mib, disk_mib, host_id, host_template_id)
          VALUES (${b.id}::uuid, NULL, true, ${b.name}, ${b.tag}, ${b.recipe}, ${b.fromTemplate}::uuid, 'queued',
                  ${b.resources.vcpus}, ${b.resources.memoryMib}, ${b.resources.diskMib}, ${b.hostId}::uuid, ${b.hostTemplateId})
          RETURNING ${columns}`);
      }),

    get: (id) => pool.maybeOne(sql.type(buildRow)`SELECT ${columns} FROM builds WHERE id = ${id}::uuid`),

    async listForTeam(teamId, limit) {
      const rows = await pool.any(sql.type(buildRow)`
        SELECT ${columns} FROM builds WHERE team_id = ${teamId}::uuid ORDER BY created_at DESC, id LIMIT ${limit}`);
      return [...rows];
    },

    async listActive() {
      const rows = await pool.any(sql.type(buildRow)`
        SELECT ${columns} FROM builds WHERE status IN ('queued', 'running') ORDER BY created_at, id`);
      return [...rows];
    },

    markRunning: (id, started) =>
      pool.maybeOne(sql.type(buildRow)`
        UPDATE builds SET status = 'running', started_at = now(), archive_sha256 = ${started.archiveSha256},
                          archive_bytes = ${started.archiveBytes}, steps_total = ${started.stepsTotal}
        WHERE id = ${id}::uuid AND status = 'queued'
        RETURNING ${columns}`),

    async delete(id) {
      await pool.query(sql.unsafe`DELETE FROM builds WHERE id = ${id}::uuid`);
    },

    appendEvent: (id, event) => pool.transaction((tx) => appendIn(tx, id, event)),

    async events(id, afterSeq, limit) {
      const rows = await pool.any(sql.type(eventRow)`
        SELECT seq, at, event FROM build_events WHERE build_id = ${id}::uuid AND seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`);
      return rows.map((row) => ({ seq: row.seq, at: new Date(row.at), body: row.event as BuildEventBody }));
    },

    finish: (id, outcome) =>
      pool.transaction(async (tx) => {
        const ended = await tx.maybeOne(sql.type(buildRow)`
          UPDATE builds SET status = ${outcome.status}, error = ${safeStatusMessage(outcome.error)}, finished_at = now(),
                            template_id = ${outcome.template?.id ?? null}::uuid
          WHERE id = ${id}::uuid AND status IN ('queued', 'running')
          RETURNING ${columns}`);
        if (!ended) return null;
        if (outcome.template) await insertReadyTemplate(tx, outcome.template);
        const seq = outcome.seq ?? ended.lastSeq + 1;
        const body: BuildEventBody = {
          ended: { status: outcome.status, error: outcome.error, ...(outcome.template ? { templateId: outcome.template.id } : {}) },
        };
        await appendIn(tx, id, { seq, at: outcome.at ?? new Date(), body });
        return tx.one(sql.type(buildRow)`SELECT ${columns} FROM builds WHERE id = ${id}::uuid`);
      }),
  };
}
