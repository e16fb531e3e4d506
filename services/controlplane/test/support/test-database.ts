import { randomUUID } from "node:crypto";
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
  });
  return { db, sandboxes: createSandboxRepository(db.pool), hostId, teamId: await insertTestTeam(db.pool) };
}
