import { fileURLToPath } from "node:url";
import pg from "pg";
import { runner } from "node-pg-migrate";
import type { Logger } from "@wrenn/shared";

/** The repository's migrations/ directory (SQL files, applied in name order). */
export const migrationsDir = fileURLToPath(new URL("../../../../migrations", import.meta.url));

/**
 * Applies pending migrations. node-pg-migrate takes a PostgreSQL advisory
 * lock; with advisoryLockMode "wait" a second controlplane starting at the same
 * time waits for the first to finish instead of failing or racing it.
 */
export async function runMigrations(databaseUrl: string, logger: Logger): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: "up",
      migrationsTable: "pgmigrations",
      advisoryLockMode: "wait",
      singleTransaction: true,
      checkOrder: true,
      log: () => {},
      logger: {
        debug: () => {},
        info: (msg: string) => logger.debug({ migration: msg }, "migration"),
        warn: (msg: string) => logger.warn({ migration: msg }, "migration"),
        error: (msg: string) => logger.error({ migration: msg }, "migration"),
      },
    });
    const names = applied.map((m) => m.name);
    logger.info({ applied: names }, names.length > 0 ? "database migrated" : "database schema up to date");
    return names;
  } finally {
    await client.end();
  }
}
