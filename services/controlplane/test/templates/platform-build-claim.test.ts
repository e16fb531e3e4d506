import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { sql } from "slonik";
import { z } from "zod";
import { toWireId } from "@wrenn/shared";
import type { Database } from "../../src/db/database.js";
import { createBuildRepository } from "../../src/db/build-repository.js";
import type { NewBuild } from "../../src/templates/build.js";
import { openTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("platform build claim tests");

// The decision behind a platform template made without anyone asking
// (platform-template-builds.ts): two controlplane copies deciding at once
// start one build, and a failed one waits before it is tried again.
describe.skipIf(!testDatabaseUrl)("insertPlatformQueued (PostgreSQL)", () => {
  let db: Database;
  const name = `claim-${randomUUID().slice(0, 8)}`;
  const build = (): NewBuild => ({
    id: randomUUID(), teamId: null, platform: true, name, tag: "latest", recipe: "FROM base\nUSER user\n", fromTemplate: null,
    resources: { vcpus: 2, memoryMib: 1024, diskMib: 2048 }, hostId: null, hostTemplateId: toWireId("tpl", randomUUID()),
  });

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db?.pool.query(sql.unsafe`DELETE FROM templates WHERE name = ${name}`);
    await db?.pool.query(sql.unsafe`DELETE FROM builds WHERE name = ${name}`);
    await db?.close();
  });

  it("starts one build when two copies decide at once, owned by no team", async () => {
    const builds = createBuildRepository(db.pool);
    const claims = await Promise.all([builds.insertPlatformQueued(build(), 600), builds.insertPlatformQueued(build(), 600)]);
    const made = claims.filter((c) => c !== null);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ teamId: null, platform: true, name, tag: "latest", status: "queued" });
    // Still active: a third look starts nothing.
    expect(await builds.insertPlatformQueued(build(), 600)).toBeNull();
  });

  it("waits after a failure before trying again, and starts nothing once the template is ready", async () => {
    const builds = createBuildRepository(db.pool);
    const [active] = await db.pool.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM builds WHERE name = ${name}`);
    await builds.finish(active, { status: "failed", error: "step 1 (line 2) failed: exit code 1" });
    expect(await builds.insertPlatformQueued(build(), 600)).toBeNull();
    const retried = await builds.insertPlatformQueued(build(), 0);
    expect(retried).toMatchObject({ status: "queued" });
    const hostTemplateId = retried!.hostTemplateId;
    await builds.finish(retried!.id, {
      status: "succeeded", error: "",
      template: {
        id: randomUUID(), teamId: null, name, tag: "latest", hostTemplateId, hostId: null, resources: retried!.resources,
        defaultUser: "user", defaultWorkdir: "/home/user", envs: {}, parent: "base:latest", buildId: retried!.id, sourceSandboxId: null, diskBytes: 0,
      },
    });
    expect(await builds.insertPlatformQueued(build(), 0)).toBeNull();
  });
});
