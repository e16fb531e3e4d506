import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import { errors, safeStatusMessage } from "@wrenn/shared";
import { sandboxStatuses, type SandboxRecord } from "../lifecycle/sandbox.js";
import type { SandboxFilter, SandboxStore, TransitionOptions } from "../lifecycle/sandbox-store.js";
import { quotaExceeded } from "../lifecycle/ownership.js";

const sandboxRow = z
  .object({
    id: z.string().uuid(),
    team_id: z.string().uuid().nullable(),
    template_id: z.string(),
    template_uuid: z.string().uuid().nullable(),
    status: z.enum(sandboxStatuses),
    host_id: z.string().uuid().nullable(),
    metadata: z.record(z.string()),
    error: z.string(),
    on_expiry: z.enum(["kill", "pause"]),
    expires_at: z.number().nullable(),
    vcpus: z.number().nullable(),
    memory_mib: z.number().nullable(),
    disk_mib: z.number().nullable(),
    public_ports: z.boolean(),
    auto_resume: z.boolean(),
    traffic_token: z.string().nullable(),
    access_token: z.string().nullable(),
    stopped_at: z.number().nullable(),
    created_at: z.number(),
    updated_at: z.number(),
  })
  .transform(
    (row): SandboxRecord => ({
      id: row.id,
      teamId: row.team_id,
      templateId: row.template_id,
      templateUuid: row.template_uuid,
      status: row.status,
      hostId: row.host_id,
      metadata: row.metadata,
      error: row.error,
      onExpiry: row.on_expiry,
      expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
      resources:
        row.vcpus === null || row.memory_mib === null || row.disk_mib === null
          ? null
          : { vcpus: row.vcpus, memoryMib: row.memory_mib, diskMib: row.disk_mib },
      publicPorts: row.public_ports,
      autoResume: row.auto_resume,
      trafficToken: row.traffic_token,
      accessToken: row.access_token,
      stoppedAt: row.stopped_at === null ? null : new Date(row.stopped_at),
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    }),
  );

const columns = sql.fragment`id, team_id, template_id, template_uuid, status, host_id, metadata, error, on_expiry, expires_at, vcpus, memory_mib, disk_mib,
  public_ports, auto_resume, traffic_token, access_token, stopped_at, created_at, updated_at`;

/** The PostgreSQL implementation of the lifecycle's sandbox store. */
export function createSandboxRepository(pool: DatabasePool): SandboxStore {
  return {
    async insertStarting(sandbox) {
      // The team's row lock serialises its creates (every copy of the
      // controlplane alike): each statement after it reads what the creates
      // before it committed, so two concurrent creates cannot both take the last place.
      return pool.transaction(async (tx) => {
        const quota = await tx.maybeOneFirst(sql.type(z.object({ sandbox_quota: z.number() }))`
          SELECT sandbox_quota FROM teams WHERE id = ${sandbox.teamId}::uuid FOR UPDATE`);
        if (quota === null) throw errors.notFound("team not found");
        const active = await tx.oneFirst(sql.type(z.object({ n: z.number() }))`
          SELECT count(*)::int AS n FROM sandboxes
          WHERE team_id = ${sandbox.teamId}::uuid AND status NOT IN ('stopped', 'error')`);
        if (active >= quota) throw quotaExceeded(active, quota);
        return tx.one(sql.type(sandboxRow)`
          INSERT INTO sandboxes (id, team_id, template_id, template_uuid, status, host_id, metadata, on_expiry, public_ports, auto_resume, traffic_token, access_token)
          VALUES (${sandbox.id}::uuid, ${sandbox.teamId}::uuid, ${sandbox.templateId}, ${sandbox.templateUuid ?? null}::uuid, 'starting', ${sandbox.hostId}::uuid,
                  ${sql.jsonb(sandbox.metadata)}, ${sandbox.onExpiry ?? "kill"}, ${sandbox.publicPorts ?? false},
                  ${sandbox.autoResume ?? false}, ${sandbox.trafficToken ?? null}, ${sandbox.accessToken ?? null})
          RETURNING ${columns}`);
      });
    },

    async get(id) {
      return pool.maybeOne(sql.type(sandboxRow)`SELECT ${columns} FROM sandboxes WHERE id = ${id}::uuid`);
    },

    async findByAccessToken(token) {
      // The unique partial index on access_token answers this.
      return pool.maybeOne(sql.type(sandboxRow)`SELECT ${columns} FROM sandboxes WHERE access_token = ${token}`);
    },

    async listActive() {
      const rows = await pool.any(sql.type(sandboxRow)`
        SELECT ${columns} FROM sandboxes WHERE status <> 'stopped' ORDER BY created_at, id`);
      return [...rows];
    },

    async transition(id, expected, next, errorOrOptions) {
      const options: TransitionOptions = typeof errorOrOptions === "string" ? { error: errorOrOptions } : (errorOrOptions ?? {});
      const expires =
        options.expiresAt === undefined
          ? sql.fragment``
          : sql.fragment`, expires_at = ${options.expiresAt === null ? null : sql.timestamp(options.expiresAt)}`;
      const resources = options.resources
        ? sql.fragment`, vcpus = ${options.resources.vcpus}, memory_mib = ${options.resources.memoryMib}, disk_mib = ${options.resources.diskMib}`
        : sql.fragment``;
      const unchanged = options.unchangedSince
        ? sql.fragment`AND updated_at <= ${sql.timestamp(options.unchangedSince)}`
        : sql.fragment``;
      return pool.maybeOne(sql.type(sandboxRow)`
        UPDATE sandboxes
        SET status = ${next},
            error = ${safeStatusMessage(options.error ?? "")},
            updated_at = clock_timestamp(),
            stopped_at = ${next === "stopped" ? sql.fragment`clock_timestamp()` : sql.fragment`NULL`}${expires}${resources}
        WHERE id = ${id}::uuid AND status = ANY(${sql.array([...expected], "text")}) ${unchanged}
        RETURNING ${columns}`);
    },

    async listVisible(stoppedSince, filter = {}) {
      const rows = await pool.any(sql.type(sandboxRow)`
        SELECT ${columns} FROM sandboxes
        WHERE (status <> 'stopped' OR stopped_at >= ${sql.timestamp(stoppedSince)}) ${filterConditions(filter)}
        ORDER BY created_at, id`);
      return [...rows];
    },

    async purgeStopped(stoppedBefore) {
      const result = await pool.query(sql.unsafe`
        DELETE FROM sandboxes WHERE status = 'stopped' AND stopped_at < ${sql.timestamp(stoppedBefore)}`);
      return result.rowCount;
    },

    async listActiveOnHost(hostId) {
      const rows = await pool.any(sql.type(sandboxRow)`
        SELECT ${columns} FROM sandboxes WHERE host_id = ${hostId}::uuid AND status <> 'stopped' ORDER BY created_at, id`);
      return [...rows];
    },

    async setExpiresAt(id, expiresAt) {
      return pool.maybeOne(sql.type(sandboxRow)`
        UPDATE sandboxes SET expires_at = ${expiresAt === null ? null : sql.timestamp(expiresAt)}
        WHERE id = ${id}::uuid
        RETURNING ${columns}`);
    },

    async countByStatus() {
      const rows = await pool.any(sql.type(z.object({ status: z.enum(sandboxStatuses), n: z.number() }))`
        SELECT status, count(*)::int AS n FROM sandboxes GROUP BY status`);
      return Object.fromEntries(rows.map((row) => [row.status, row.n]));
    },
  };
}

/** `AND …` for each part of the filter; nothing when it is empty. */
function filterConditions(filter: SandboxFilter) {
  const conditions = [
    ...(filter.teamId === undefined ? [] : [sql.fragment`team_id = ${filter.teamId}::uuid`]),
    // Containment of a one-pair object per label: each pair must be present with this value.
    ...(filter.metadata ?? []).map(([key, value]) => sql.fragment`metadata @> ${sql.jsonb({ [key]: value })}`),
  ];
  return conditions.length === 0 ? sql.fragment`` : sql.fragment`AND ${sql.join(conditions, sql.fragment` AND `)}`;
}
