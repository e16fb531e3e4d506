import { inject } from "vitest";
import { createLogger } from "@wrenn/shared";
import { openDatabase, type Database } from "../../src/db/database.js";

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
