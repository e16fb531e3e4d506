import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { sql, type DatabasePool } from "slonik";
import { createLogger } from "@wrenn/shared";
import { openDatabase, type Database } from "../../src/db/database.js";
import { createHostRepository } from "../../src/db/host-repository.js";
import { createSandboxRepository } from "../../src/db/sandbox-repository.js";
import type { SandboxStore } from "../../src/lifecycle/sandbox-store.js";

/**
 * Real PostgreSQL for tests: this run's own database, made by
 * test/support/global-setup.ts from DATABASE_URL; unset means the database
 * tests are skipped (and say so).
 */
export const testDatabaseUrl = inject("controlplaneDatabaseUrl");

export function warnIfNoDatabase(what: string): void {
  if (!testDatabaseUrl) console.warn(`DATABASE_URL is unset: ${what} are skipped (they need a real PostgreSQL)`);
}

export async function openTestDatabase(): Promise<Database> {
  if (!testDatabaseUrl) throw new Error("DATABASE_URL is unset");
  return openDatabase({ databaseUrl: testDatabaseUrl, dataDir: "/nonexistent", logger: createLogger("test", { level: "silent" }) });
}

/**
 * A bare team row, for tests below the RPC layer that only need a sandbox's
 * owner (tests through the API use createTestTeam, which adds a user and a key).
 */
export async function insertTestTeam(pool: DatabasePool, options: { quota?: number } = {}): Promise<string> {
  const id = randomUUID();
  await pool.query(sql.unsafe`INSERT INTO teams (id, name, sandbox_quota) VALUES (${id}, ${`test team ${id.slice(0, 8)}`}, ${options.quota ?? 1000})`);
  return id;
}

/** The test database with one online host registered and one team: what the lifecycle tests build their sandboxes on. */
export interface DatabaseWithHost {
  db: Database;
  sandboxes: SandboxStore;
  hostId: string;
  teamId: string;
}

export async function openTestDatabaseWithHost(): Promise<DatabaseWithHost> {
  const db = await openTestDatabase();
  const hostId = randomUUID();
  await createHostRepository(db.pool).upsertOnline({
    id: hostId, agentHostId: "t", address: "127.0.0.1:1", runtime: "fake", cpuCount: 1, memoryBytes: 1, templates: [], version: "t",
    capacity: { freeMemoryBytes: 1, loadAverage: 0, diskFreeBytes: 1, sandboxCount: 0, sandboxMemoryBytes: 0 },
  });
  return { db, sandboxes: createSandboxRepository(db.pool), hostId, teamId: await insertTestTeam(db.pool) };
}

/**
 * A database of its own, empty (no users, not even migrated), on the run's
 * test database's server: for tests that must not share rows with
 * concurrent test files (the first start's bootstrap, a purge that sweeps
 * every user). Dropped by `drop()`.
 */
export async function createEmptyTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!testDatabaseUrl) throw new Error("DATABASE_URL is unset");
  const url = testDatabaseUrl;
  const name = `wrenn_own_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const own = new URL(url);
  own.pathname = `/${name}`;
  return {
    url: own.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
