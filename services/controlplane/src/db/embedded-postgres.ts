import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { Logger } from "@wrenn/shared";

export interface EmbeddedPostgres {
  /** postgres:// URL of the loopback wire-protocol socket. */
  url: string;
  close(): Promise<void>;
}

/**
 * PGlite behind a PostgreSQL wire-protocol socket, so the same `pg`/slonik
 * code paths (and node-pg-migrate) work without a database server. PGlite has
 * a single backend: queries from all connections are serialised, and an open
 * transaction blocks every other connection until it ends.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedPostgres> {
  const dir = join(dataDir, "pglite");
  await mkdir(dir, { recursive: true });
  const started = Date.now();
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: 0,
    // The migration runner and the pool each hold one connection; a few
    // spares let a reconnect happen while a dead socket is being cleaned up.
    maxConnections: 4,
  });
  await server.start();
  const address = server.getServerConn();
  logger.info({ dir, address, ms: Date.now() - started }, "embedded PGlite database started");
  return {
    url: `postgres://postgres@${address}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
