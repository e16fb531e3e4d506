import { sql, type DatabasePool } from "slonik";
import { z } from "zod";

export const sandboxStatuses = ["starting", "running", "stopping", "stopped", "error", "missing"] as const;
export type SandboxStatus = (typeof sandboxStatuses)[number];

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
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    }),
  );

const columns = sql.fragment`id, template_id, status, host_id, metadata, error, created_at, updated_at`;

export interface NewSandbox {
  id: string;
  templateId: string;
  hostId: string;
  metadata: Record<string, string>;
}

export interface SandboxRepository {
  /** Inserts a sandbox in `starting`. Environment variables are never passed here. */
  insertStarting(sandbox: NewSandbox): Promise<SandboxRecord>;
  get(id: string): Promise<SandboxRecord | null>;
  /** Every sandbox that is not `stopped`, oldest first. */
  listActive(): Promise<SandboxRecord[]>;
  /**
   * Moves a sandbox to `next` only if its status is one of `expected`, in one
   * statement. Returns the updated row, or null when the sandbox is unknown or
   * was in another status (someone else got there first).
   */
  transition(id: string, expected: readonly SandboxStatus[], next: SandboxStatus, error?: string): Promise<SandboxRecord | null>;
}

export function createSandboxRepository(pool: DatabasePool): SandboxRepository {
  return {
    async insertStarting(sandbox) {
      return pool.one(sql.type(sandboxRow)`
        INSERT INTO sandboxes (id, template_id, status, host_id, metadata)
        VALUES (${sandbox.id}::uuid, ${sandbox.templateId}, 'starting', ${sandbox.hostId}::uuid, ${sql.jsonb(sandbox.metadata)})
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

    async transition(id, expected, next, error) {
      return pool.maybeOne(sql.type(sandboxRow)`
        UPDATE sandboxes
        SET status = ${next},
            error = ${error ?? ""},
            updated_at = now()
        WHERE id = ${id}::uuid AND status = ANY(${sql.array([...expected], "text")})
        RETURNING ${columns}`);
    },
  };
}
