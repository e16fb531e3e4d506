import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import type { HostRecord, HostStore } from "../hosts/host-store.js";

const hostRow = z
  .object({
    id: z.string().uuid(),
    agent_host_id: z.string(),
    address: z.string(),
    status: z.enum(["online", "unreachable", "draining"]),
    runtime: z.string(),
    cpu_count: z.number(),
    // int8 comes back as a BigInt; memory sizes fit a double exactly up to 8 PiB.
    memory_bytes: z.union([z.bigint(), z.number()]).transform(Number),
    templates: z.array(z.string()),
    version: z.string(),
    last_seen_at: z.number().nullable(),
  })
  .transform(
    (row): HostRecord => ({
      id: row.id,
      agentHostId: row.agent_host_id,
      address: row.address,
      status: row.status,
      runtime: row.runtime,
      cpuCount: row.cpu_count,
      memoryBytes: row.memory_bytes,
      templates: row.templates,
      version: row.version,
      lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at),
    }),
  );

const columns = sql.fragment`id, agent_host_id, address, status, runtime, cpu_count, memory_bytes, templates, version, last_seen_at`;

/** The PostgreSQL implementation of the host store. */
export function createHostRepository(pool: DatabasePool): HostStore {
  return {
    async upsertOnline(host) {
      return pool.one(sql.type(hostRow)`
        INSERT INTO hosts (id, agent_host_id, address, status, runtime, cpu_count, memory_bytes, templates, version, last_seen_at)
        VALUES (${host.id}::uuid, ${host.agentHostId}, ${host.address}, 'online', ${host.runtime}, ${host.cpuCount},
                ${host.memoryBytes}, ${sql.array(host.templates, "text")}, ${host.version}, now())
        ON CONFLICT (id) DO UPDATE SET
          agent_host_id = EXCLUDED.agent_host_id,
          address = EXCLUDED.address,
          status = CASE WHEN hosts.status = 'draining' THEN 'draining' ELSE 'online' END,
          runtime = EXCLUDED.runtime,
          cpu_count = EXCLUDED.cpu_count,
          memory_bytes = EXCLUDED.memory_bytes,
          templates = EXCLUDED.templates,
          version = EXCLUDED.version,
          last_seen_at = now(),
          updated_at = now()
        RETURNING ${columns}`);
    },

    async get(id) {
      return pool.maybeOne(sql.type(hostRow)`SELECT ${columns} FROM hosts WHERE id = ${id}::uuid`);
    },

    async markUnreachable(id) {
      return pool.maybeOne(sql.type(hostRow)`
        UPDATE hosts SET status = 'unreachable', updated_at = now()
        WHERE id = ${id}::uuid AND status = 'online'
        RETURNING ${columns}`);
    },
  };
}
