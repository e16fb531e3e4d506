import { createPool, sql, type DatabasePool } from "slonik";
import { z } from "zod";
import type { Logger } from "@wrenn/shared";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.js";
import { runMigrations } from "./migrate.js";
import { createResultParserInterceptor } from "./result-parser.js";

export interface Database {
  pool: DatabasePool;
  /** True when running on the embedded PGlite database. */
  embedded: boolean;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Unset: start embedded PGlite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  logger: Logger;
}

/** Connects (starting PGlite when no URL is given), migrates, and opens the pool. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const { logger } = options;
  let embedded: EmbeddedPostgres | undefined;
  const url = options.databaseUrl ?? (embedded = await startEmbeddedPostgres(options.dataDir, logger)).url;
  try {
    await runMigrations(url, logger);
    const pool = await createPool(url, {
      interceptors: [createResultParserInterceptor()],
      // PGlite has one backend: a second connection would only queue behind
      // the first, and a transaction on one would stall the other.
      maximumPoolSize: embedded ? 1 : 10,
      connectionTimeout: 10_000,
      statementTimeout: 30_000,
      idleTimeout: embedded ? "DISABLE_TIMEOUT" : 10_000,
      // Slonik logs every query at debug through its own logger otherwise.
      captureStackTrace: false,
    });
    return {
      pool,
      embedded: embedded !== undefined,
      async close() {
        await pool.end();
        await embedded?.close();
      },
    };
  } catch (err) {
    await embedded?.close();
    throw err;
  }
}

/** The database's one identity row (migration deployment-id): controlplanes sharing it are one deployment. */
export async function deploymentIdOf(pool: DatabasePool): Promise<string> {
  return pool.oneFirst(sql.type(z.object({ id: z.string().uuid() }))`SELECT id FROM deployment`);
}
