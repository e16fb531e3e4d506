import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import { safeStatusMessage } from "@wrenn/shared";
import { sandboxStatuses, type SandboxRecord } from "../lifecycle/sandbox.js";
import type { SandboxStore, TransitionOptions } from "../lifecycle/sandbox-store.js";

const sandboxRow = z
  .object({
    id: z.string().uuid(),
    template_id: z.string(),
    status: z.enum(sandboxStatuses),
    host_id: z.string().uuid().nullable(),
    metadata: z.record(z.string()),
    error: z.string(),
    on_expiry: z.enum(["kill", "pause"]),
    expires_at: z.number().nullable(),
    vcpus: z.number().nullable(),
    memory_mib: z.number().nullable(),
    disk_mib: z.number().nullable(),
    stopped_at: z.number().nullable(),
    created_at: z.number(),
    updated_at: z.number(),
  })
  .transform(
    (row): SandboxRecord => ({
      id: row.id,
      templateId: row.template_id,
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
      stoppedAt: row.stopped_at === null ? null : new Date(row.stopped_at),
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    }),
  );

const columns = sql.fragment`id, template_id, status, host_id, metadata, error, on_expiry, expires_at, vcpus, memory_mib, disk_mib,
  stopped_at, created_at, updated_at`;

/** The PostgreSQL implementation of the lifecycle's sandbox store. */
export function createSandboxRepository(pool: DatabasePool): SandboxStore {
  return {
    async insertStarting(sandbox) {
      return pool.one(sql.type(sandboxRow)`
        INSERT INTO sandboxes (id, template_id, status, host_id, metadata, on_expiry)
        VALUES (${sandbox.id}::uuid, ${sandbox.templateId}, 'starting', ${sandbox.hostId}::uuid, ${sql.jsonb(sandbox.metadata)},
                ${sandbox.onExpiry ?? "kill"})
        RETURNING ${columns}`);
    },

    async get(id) {
      return pool.maybeOne(sql.type(sandboxRow)`SELECT ${columns} FROM sandboxes WHERE id = ${id}::uuid`);
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

    async listVisible(stoppedSince) {
      const rows = await pool.any(sql.type(sandboxRow)`
        SELECT ${columns} FROM sandboxes
        WHERE status <> 'stopped' OR stopped_at >= ${sql.timestamp(stoppedSince)}
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
  };
}
