import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "slonik";
import { z } from "zod";
import { startFakeHostAgent, type FakeHostAgent } from "../support/fake-host-agent.js";
import { createEmptyTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { startIdentityStack, type IdentityStack } from "./identity-stack.js";

warnIfNoDatabase("bootstrap tests");

const fileExists = (path: string) => stat(path).then(() => true, () => false);

describe.skipIf(!testDatabaseUrl)("bootstrap admin on an empty database", () => {
  let host: FakeHostAgent;
  let database: { url: string; drop(): Promise<void> };
  const stacks: IdentityStack[] = [];

  beforeAll(async () => {
    host = await startFakeHostAgent();
    database = await createEmptyTestDatabase();
  });
  afterAll(async () => {
    for (const stack of stacks) await stack.close();
    await host?.close();
    await database?.drop();
  });

  it("two copies starting at once make exactly one admin, whose 0600 key file works; a later start makes none", async () => {
    const started = await Promise.all([1, 2].map(() => startIdentityStack({ databaseUrl: database.url, hostAgentUrl: host.address })));
    stacks.push(...started);
    const pool = started[0].running.context.pool;
    const admins = await pool.any(sql.type(z.object({ email: z.string() }))`SELECT email FROM users WHERE is_admin`);
    expect(admins.map((a) => a.email)).toEqual(["admin@wrenn.local"]);
    const keys = await pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM api_keys WHERE name = 'bootstrap'`);
    expect(keys).toBe(1);

    const withFile = [];
    for (const stack of started) {
      if (await fileExists(join(stack.running.context.config.dataDir, "api-key"))) withFile.push(stack);
    }
    expect(withFile).toHaveLength(1);
    const dir = withFile[0].running.context.config.dataDir;
    for (const name of ["api-key", "admin-password"]) {
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    }
    const text = await readFile(join(dir, "api-key"), "utf8");
    expect(text).toMatch(/^wrn_[A-Za-z0-9_-]{43}\n$/);
    const key = text.trim();
    // Either copy accepts it: the key is in the database, not in the process that made it.
    for (const stack of started) {
      const me = await stack.clients({ authorization: `Bearer ${key}` }).account.whoAmI({});
      expect(me).toMatchObject({ credential: "api_key", apiKeyPrefix: key.slice(0, 12), team: { personal: true } });
    }
    const line = withFile[0].logs.find((l) => l.includes("bootstrap admin and API key created"));
    expect(JSON.parse(line!)).toMatchObject({ keyPrefix: key.slice(0, 12), keyFile: join(dir, "api-key") });
    const password = (await readFile(join(dir, "admin-password"), "utf8")).trim();
    for (const stack of started) {
      expect(stack.logs.join("")).not.toContain(key);
      expect(stack.logs.join("")).not.toContain(password);
    }

    const later = await startIdentityStack({ databaseUrl: database.url, hostAgentUrl: host.address });
    stacks.push(later);
    expect(await fileExists(join(later.running.context.config.dataDir, "api-key"))).toBe(false);
    expect(await pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users`)).toBe(1);
  });

  it("writes the key where WRENN_BOOTSTRAP_KEY_FILE says, on a fresh database", async () => {
    const fresh = await createEmptyTestDatabase();
    const keyFile = join(tmpdir(), `wrenn-boot-${randomBytes(4).toString("hex")}`, "key");
    try {
      const stack = await startIdentityStack({ databaseUrl: fresh.url, hostAgentUrl: host.address, bootstrapKeyFile: keyFile, adminEmail: "ops@example.test" });
      try {
        const key = (await readFile(keyFile, "utf8")).trim();
        expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
        expect(await fileExists(join(keyFile, "..", "admin-password"))).toBe(true);
        const me = await stack.clients({ "x-api-key": key }).account.whoAmI({});
        expect(me.credential).toBe("api_key");
        const admin = await stack.running.context.pool.oneFirst(sql.type(z.object({ email: z.string() }))`SELECT email FROM users WHERE is_admin`);
        expect(admin).toBe("ops@example.test");
      } finally {
        await stack.close();
      }
    } finally {
      await fresh.drop();
    }
  });
});
