import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import { safeStatusMessage } from "@wrenn/shared";

export const sandboxStatuses = ["starting", "running", "pausing", "paused", "resuming", "stopping", "stopped", "error", "missing"] as const;
export type ExpiryAction = "kill" | "pause";
export type SandboxStatus = (typeof sandboxStatuses)[number];

/** What the host gave a sandbox. */
export interface SandboxResources {
  vcpus: number;
  /** Guest RAM. */
  memoryMib: number;
  /** Root disk. */
  diskMib: number;
}

export interface SandboxRecord {
  /** UUID. */
  id: string;
  templateId: string;
  status: SandboxStatus;
  /** UUID of the host the sandbox was placed on. */
  hostId: string | null;
  metadata: Record<string, string>;
  /** Why the sandbox is in `error`; empty otherwise. */
  error: string;
  /** What the host does when the sandbox's timeout runs out. */
  onExpiry: ExpiryAction;
  /** When the timeout runs out, as the host agent last said; null = none known. */
  expiresAt: Date | null;
  /** As the host reported them when it started or resumed the sandbox; null before that. */
  resources: SandboxResources | null;
  /** When the sandbox became stopped; null while it is not. */
  stoppedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

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

export interface NewSandbox {
  id: string;
  templateId: string;
  hostId: string;
  metadata: Record<string, string>;
  onExpiry?: ExpiryAction;
}

export interface TransitionOptions {
  /**
   * Why, for `error` (and kept as a note otherwise); empty when unset. Often
   * a host's words: stored as safe text (no NUL, which PostgreSQL refuses; at most 1 KiB).
   */
  error?: string;
  /**
   * Apply only if the row has not changed since this time. Guards writes
   * based on an observation made at that time (a host event, a host's list)
   * against a newer change, e.g. a replayed AUTO_PAUSED after a resume.
   */
  unchangedSince?: Date;
  /** Also record the host's expiry time (null clears it); unset leaves it. */
  expiresAt?: Date | null;
  /** Also record what the host gave the sandbox; unset leaves it. */
  resources?: SandboxResources;
}

export interface SandboxRepository {
  /** Inserts a sandbox in `starting`. Environment variables are never passed here. */
  insertStarting(sandbox: NewSandbox): Promise<SandboxRecord>;
  /** The row as it is, whatever its status (visibility rules are the lifecycle's). */
  get(id: string): Promise<SandboxRecord | null>;
  /** Every sandbox that is not `stopped`, oldest first. */
  listActive(): Promise<SandboxRecord[]>;
  /** Every sandbox that is not `stopped` or stopped at or after `stoppedSince`, oldest first. */
  listVisible(stoppedSince: Date): Promise<SandboxRecord[]>;
  /** Deletes sandboxes stopped before `stoppedBefore`; returns how many. */
  purgeStopped(stoppedBefore: Date): Promise<number>;
  /**
   * Moves a sandbox to `next` only if its status is one of `expected`, in one
   * statement. Returns the updated row, or null when the sandbox is unknown or
   * was in another status (someone else got there first).
   */
  transition(
    id: string,
    expected: readonly SandboxStatus[],
    next: SandboxStatus,
    errorOrOptions?: string | TransitionOptions,
  ): Promise<SandboxRecord | null>;
  /** Every sandbox on the host that is not `stopped`. */
  listActiveOnHost(hostId: string): Promise<SandboxRecord[]>;
  /** Records the host's expiry time, whatever the status. */
  setExpiresAt(id: string, expiresAt: Date | null): Promise<SandboxRecord | null>;
}

export function createSandboxRepository(pool: DatabasePool): SandboxRepository {
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
