import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckIntegrityConstraintViolationError, ForeignKeyIntegrityConstraintViolationError, sql } from "slonik";
import type { Database } from "../../src/db/database.js";
import { runMigrations } from "../../src/db/migrate.js";
import { createHostRepository } from "../../src/db/host-repository.js";
import type { HostStore } from "../../src/hosts/host-store.js";
import { createSandboxRepository } from "../../src/db/sandbox-repository.js";
import type { SandboxStore } from "../../src/lifecycle/sandbox-store.js";
import { insertTestTeam, openTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import { createLogger } from "@wrenn/shared";

warnIfNoDatabase("repository tests");

describe.skipIf(!testDatabaseUrl)("repositories on PostgreSQL", () => {
  let db: Database;
  let sandboxes: SandboxStore;
  let hosts: HostStore;
  let hostId: string;
  let teamId: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    sandboxes = createSandboxRepository(db.pool);
    hosts = createHostRepository(db.pool);
    hostId = randomUUID();
    teamId = await insertTestTeam(db.pool);
    await hosts.upsertOnline({
      id: hostId,
      agentHostId: "test-host",
      address: "127.0.0.1:1",
      runtime: "namespace",
      cpuCount: 2,
      memoryBytes: 8 * 1024 ** 3,
      templates: ["base"],
      version: "test",
      capacity: { freeMemoryBytes: 6 * 1024 ** 3, loadAverage: 0.5, diskFreeBytes: 100 * 1024 ** 3, sandboxCount: 0, sandboxMemoryBytes: 0 },
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("migrating again is a no-op, also when several controlplanes migrate at once", async () => {
    const logger = createLogger("test", { level: "silent" });
    const results = await Promise.all([1, 2, 3].map(() => runMigrations(testDatabaseUrl!, logger)));
    expect(results).toEqual([[], [], []]);
  });

  it("stores a new sandbox as starting with its metadata and returns it", async () => {
    const id = randomUUID();
    const created = await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: { owner: "ana", "a.b/c": "d" } });
    expect(created).toMatchObject({ id, teamId, templateId: "base", status: "starting", hostId, metadata: { owner: "ana", "a.b/c": "d" }, error: "" });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await sandboxes.get(id)).toEqual(created);
    expect(await sandboxes.get(randomUUID())).toBeNull();
  });

  it("changes status only from an expected status", async () => {
    const id = randomUUID();
    await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    expect(await sandboxes.transition(id, ["running"], "stopping")).toBeNull();
    expect((await sandboxes.get(id))?.status).toBe("starting");
    const running = await sandboxes.transition(id, ["starting"], "running");
    expect(running?.status).toBe("running");
    // Replaying the same outcome changes nothing.
    expect(await sandboxes.transition(id, ["starting"], "running")).toBeNull();
    const failed = await sandboxes.transition(id, ["running"], "error", "vm crashed");
    expect(failed).toMatchObject({ status: "error", error: "vm crashed" });
    expect(failed!.updatedAt.getTime()).toBeGreaterThanOrEqual(running!.updatedAt.getTime());
  });

  it("stores a host's reason as safe text, even with NUL or a megabyte of it", async () => {
    const id = randomUUID();
    await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    const failed = await sandboxes.transition(id, ["starting"], "error", "exited\u0000 (signal 9)\n" + "x".repeat(1024 * 1024));
    expect(failed?.error.startsWith("exited\uFFFD (signal 9) xxx")).toBe(true);
    expect(Buffer.byteLength(failed!.error)).toBeLessThanOrEqual(1024);
  });

  it("lets exactly one of many concurrent writers win a transition", async () => {
    const id = randomUUID();
    await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sandboxes.transition(id, ["starting"], i % 2 ? "running" : "error", `writer ${i}`)),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it("lists sandboxes that are not stopped", async () => {
    const live = randomUUID();
    const gone = randomUUID();
    await sandboxes.insertStarting({ id: live, teamId, templateId: "base", hostId, metadata: {} });
    await sandboxes.insertStarting({ id: gone, teamId, templateId: "base", hostId, metadata: {} });
    await sandboxes.transition(gone, ["starting"], "stopping");
    await sandboxes.transition(gone, ["stopping"], "stopped");
    const ids = (await sandboxes.listActive()).map((s) => s.id);
    expect(ids).toContain(live);
    expect(ids).not.toContain(gone);
  });

  it("records what the host gave a sandbox, and keeps it through later changes", async () => {
    const id = randomUUID();
    const starting = await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    expect(starting.resources).toBeNull();
    const running = await sandboxes.transition(id, ["starting"], "running", { resources: { vcpus: 2, memoryMib: 1024, diskMib: 4096 } });
    expect(running?.resources).toEqual({ vcpus: 2, memoryMib: 1024, diskMib: 4096 });
    const pausing = await sandboxes.transition(id, ["running"], "pausing");
    expect(pausing?.resources).toEqual({ vcpus: 2, memoryMib: 1024, diskMib: 4096 });
  });

  it("notes when a sandbox stopped, lists it while retained and purges it afterwards", async () => {
    const id = randomUUID();
    await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    expect((await sandboxes.transition(id, ["starting"], "stopping"))?.stoppedAt).toBeNull();
    const stopped = await sandboxes.transition(id, ["stopping"], "stopped");
    expect(stopped?.stoppedAt).toBeInstanceOf(Date);
    const justBefore = new Date(stopped!.stoppedAt!.getTime() - 1);
    const justAfter = new Date(stopped!.stoppedAt!.getTime() + 1);
    expect((await sandboxes.listVisible(justBefore)).map((s) => s.id)).toContain(id);
    expect((await sandboxes.listVisible(justAfter)).map((s) => s.id)).not.toContain(id);
    await sandboxes.purgeStopped(justBefore);
    expect(await sandboxes.get(id)).not.toBeNull();
    expect(await sandboxes.purgeStopped(justAfter)).toBeGreaterThanOrEqual(1);
    expect(await sandboxes.get(id)).toBeNull();
  });

  it("refuses statuses outside the allowed set and unknown hosts", async () => {
    const id = randomUUID();
    await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    await expect(db.pool.query(sql.unsafe`UPDATE sandboxes SET status = 'hibernating' WHERE id = ${id}`)).rejects.toBeInstanceOf(CheckIntegrityConstraintViolationError);
    await expect(sandboxes.insertStarting({ id: randomUUID(), teamId, templateId: "base", hostId: randomUUID(), metadata: {} })).rejects.toBeInstanceOf(
      ForeignKeyIntegrityConstraintViolationError,
    );
  });

  it("has no column that could hold environment variables", async () => {
    const columns = await db.pool.anyFirst(
      sql.unsafe`SELECT column_name FROM information_schema.columns WHERE table_name = 'sandboxes' ORDER BY column_name`,
    );
    expect(columns).toEqual([
      "access_token", "auto_resume", "created_at", "disk_mib", "error", "expires_at", "host_id", "id", "memory_mib", "metadata", "on_expiry", "public_ports",
      "status", "stopped_at", "team_id", "template_id", "template_uuid", "traffic_token", "updated_at", "vcpus",
    ]);
  });

  it("upserts a host and marks it unreachable only while online", async () => {
    const row = await hosts.get(hostId);
    expect(row).toMatchObject({ agentHostId: "test-host", status: "online", runtime: "namespace", cpuCount: 2, templates: ["base"] });
    expect(row!.memoryBytes).toBe(8 * 1024 ** 3);
    expect((await hosts.markUnreachable(hostId))?.status).toBe("unreachable");
    expect(await hosts.markUnreachable(hostId)).toBeNull();
    const back = await hosts.upsertOnline({ ...row!, cpuCount: 4, templates: ["base", "python"] });
    expect(back).toMatchObject({ status: "online", cpuCount: 4, templates: ["base", "python"] });
    expect(back.lastSeenAt!.getTime()).toBeGreaterThanOrEqual(row!.lastSeenAt!.getTime());
  });

  it("keeps the capacity of each heartbeat, replacing the last one", async () => {
    const row = await hosts.get(hostId);
    expect(row!.capacity).toEqual({ freeMemoryBytes: 6 * 1024 ** 3, loadAverage: 0.5, diskFreeBytes: 100 * 1024 ** 3, sandboxCount: 0, sandboxMemoryBytes: 0 });
    const capacity = { freeMemoryBytes: 3 * 1024 ** 3 + 5, loadAverage: 1.75, diskFreeBytes: 2 ** 40, sandboxCount: 7, sandboxMemoryBytes: 7 * 256 * 1024 ** 2 };
    const next = await hosts.upsertOnline({ ...row!, capacity });
    expect(next.capacity).toEqual(capacity);
    expect((await hosts.get(hostId))!.capacity).toEqual(capacity);
  });
});
