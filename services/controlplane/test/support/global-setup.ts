import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's own database (see global-setup.ts); undefined without DATABASE_URL. */
    controlplaneDatabaseUrl: string | undefined;
  }
}

/**
 * Gives this run of the controlplane tests a PostgreSQL database of its own,
 * created from DATABASE_URL and dropped afterwards, so a run never sees rows
 * or migrations of another checkout testing against the same server.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const adminUrl = process.env.DATABASE_URL;
  project.provide("controlplaneDatabaseUrl", undefined);
  if (!adminUrl) return;
  const name = `wrenn_cp_${randomBytes(6).toString("hex")}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // Only this project's tests see it (other projects keep their own databases).
  project.provide("controlplaneDatabaseUrl", url.toString());
  return async () => {
    await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
}

async function withClient(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
