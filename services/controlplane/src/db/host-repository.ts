import { sql, type DatabasePool } from "slonik";
import { z } from "zod";
import type { HostRecord, HostStore } from "../hosts/host-store.js";

// int8 comes back as a BigInt; byte counts fit a double exactly up to 8 PiB.
const int8 = z.union([z.bigint(), z.number()]).transform(Number);

const hostRow = z
  .object({
    id: z.string().uuid(),
    agent_host_id: z.string(),
    address: z.string(),
    status: z.enum(["online", "unreachable", "draining", "revoked"]),
    runtime: z.string(),
    cpu_count: z.number(),
    memory_bytes: int8,
    templates: z.array(z.string()),
    version: z.string(),
    last_seen_at: z.number().nullable(),
    free_memory_bytes: int8,
    load_average: z.number(),
    disk_free_bytes: int8,
    sandbox_count: z.number(),
    sandbox_memory_bytes: int8,
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
      capacity: {
        freeMemoryBytes: row.free_memory_bytes,
        loadAverage: row.load_average,
        diskFreeBytes: row.disk_free_bytes,
        sandboxCount: row.sandbox_count,
        sandboxMemoryBytes: row.sandbox_memory_bytes,
      },
    }),
  );

const columns = sql.fragment`id, agent_host_id, address, status, runtime, cpu_count, memory_bytes, templates, version, last_seen_at,
  free_memory_bytes, load_average, disk_free_bytes, sandbox_count, sandbox_memory_bytes`;

/** The PostgreSQL implementation of the host store. */
export function createHostRepository(pool: DatabasePool): HostStore {
  return {
    async upsertOnline(host) {
      const c = host.capacity;
      return pool.one(sql.type(hostRow)`
        INSERT INTO hosts (id, agent_host_id, address, status, runtime, cpu_count, memory_bytes, templates, version, last_seen_at,
                           free_memory_bytes, load_average, disk_free_bytes, sandbox_count, sandbox_memory_bytes)
        VALUES (${host.id}::uuid, ${host.agentHostId}, ${host.address}, 'online', ${host.runtime}, ${host.cpuCount},
                ${host.memoryBytes}, ${sql.array(host.templates, "text")}, ${host.version}, now(),
                ${c.freeMemoryBytes}, ${c.loadAverage}, ${c.diskFreeBytes}, ${c.sandboxCount}, ${c.sandboxMemoryBytes})
        ON CONFLICT (id) DO UPDATE SET
          agent_host_id = EXCLUDED.agent_host_id,
          address = EXCLUDED.address,
          status = CASE WHEN hosts.status IN ('draining', 'revoked') THEN hosts.status ELSE 'online' END,
          runtime = EXCLUDED.runtime,
          cpu_count = EXCLUDED.cpu_count,
          memory_bytes = EXCLUDED.memory_bytes,
          templates = EXCLUDED.templates,
          version = EXCLUDED.version,
          last_seen_at = now(),
          free_memory_bytes = EXCLUDED.free_memory_bytes,
          load_average = EXCLUDED.load_average,
          disk_free_bytes = EXCLUDED.disk_free_bytes,
          sandbox_count = EXCLUDED.sandbox_count,
          sandbox_memory_bytes = EXCLUDED.sandbox_memory_bytes,
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
