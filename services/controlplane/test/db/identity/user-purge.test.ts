import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "slonik";
import { createLogger, toWireId } from "@wrenn/shared";
import { createAdminRepository } from "../../../src/db/identity/admin-repository.js";
import { createAuditRepository } from "../../../src/db/identity/audit-repository.js";
import { createUserRepository } from "../../../src/db/identity/user-repository.js";
import { createAuditLog, userActor, type AuditStore } from "../../../src/identity/audit.js";
import { purgeDeletedUsersOnce, userPurgeWorker } from "../../../src/identity/user-purge.js";
import { openDatabase, type Database } from "../../../src/db/database.js";
import { createEmptyTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../../support/test-database.js";

warnIfNoDatabase("user purge tests");

const day = 24 * 3600_000;

/**
 * The purge of soft-deleted users, straight against PostgreSQL, with deletion
 * times moved into the past. On a database of its own: the purge sweeps every
 * user, and the test controlplanes of other files run it at their start.
 */
describe.skipIf(!testDatabaseUrl)("purging deleted users", () => {
  let db: Database;
  let store: AuditStore;
  let own: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    own = await createEmptyTestDatabase();
    db = await openDatabase({ databaseUrl: own.url, dataDir: "/nonexistent", logger: createLogger("test", { level: "silent" }) });
    store = createAuditRepository(db.pool);
  });
  afterAll(async () => {
    await db?.close();
    await own?.drop();
  });

  async function deletedUser(daysAgo: number): Promise<{ id: string; email: string; teamId: string }> {
    const email = `Gone-${randomBytes(6).toString("hex")}@example.test`;
    const made = await createUserRepository(db.pool).createWithPersonalTeam({ email, passwordHash: null });
    const { user, team } = made!;
    expect((await createAdminRepository(db.pool).deleteUser(user.id)).outcome).toBe("changed");
    await db.pool.query(sql.unsafe`UPDATE users SET deleted_at = now() - ${daysAgo * day} * interval '1 millisecond' WHERE id = ${user.id}::uuid`);
    return { id: user.id, email, teamId: team.id };
  }

  async function entriesOfTeam(teamId: string) {
    return store.list({ teamId, limit: 100 });
  }

  async function userExists(id: string): Promise<boolean> {
    return db.pool.exists(sql.unsafe`SELECT 1 FROM users WHERE id = ${id}::uuid`);
  }

  it("deletes users past the grace period and anonymizes what the audit log says of them, leaving recent ones", async () => {
    const old = await deletedUser(16);
    const recent = await deletedUser(3);
    const audit = createAuditLog(store, createLogger("test", { level: "silent" }));
    const someoneElse = { userId: randomUUID(), name: "admin@example.test", keyPrefix: "" };
    // What they did, what was done to them, and their email in another entry's details.
    await audit.record({ teamId: old.teamId, actor: userActor(old), action: "sandbox.create", resourceType: "sandbox", resourceId: "sb-1", result: "success" });
    await audit.record({
      teamId: old.teamId, actor: someoneElse, action: "team.member.remove", resourceType: "user",
      resourceId: toWireId("usr", old.id), result: "success", details: { email: old.email.toLowerCase(), role: "member" },
    });
    await audit.record({
      teamId: old.teamId, actor: someoneElse, action: "team.member.invite", resourceType: "team_invite", result: "failure",
      details: { code: "ALREADY_EXISTS", message: `${old.email} is already a member` },
    });
    await audit.record({ teamId: recent.teamId, actor: userActor(recent), action: "sandbox.create", resourceType: "sandbox", resourceId: "sb-2", result: "success" });

    const purged = await purgeDeletedUsersOnce({ admins: createAdminRepository(db.pool), audit, logger: createLogger("test", { level: "silent" }), graceMs: 15 * day });
    expect(purged).toBe(1);
    expect(await userExists(old.id)).toBe(false);
    expect(await userExists(recent.id)).toBe(true);

    const [invite, removal, creation] = await entriesOfTeam(old.teamId);
    expect(invite).toMatchObject({ action: "team.member.invite", details: { code: "ALREADY_EXISTS" } });
    expect(creation).toMatchObject({ actorUserId: null, actorName: "deleted-user", action: "sandbox.create", resourceId: "sb-1" });
    expect(removal).toMatchObject({ actorUserId: someoneElse.userId, actorName: "admin@example.test", resourceId: "", details: { role: "member" } });
    expect(JSON.stringify(await entriesOfTeam(old.teamId)).toLowerCase()).not.toContain(old.email.toLowerCase());

    const [kept] = await entriesOfTeam(recent.teamId);
    expect(kept).toMatchObject({ actorUserId: recent.id, actorName: recent.email });

    // The purge says what it did, as the system.
    const [purgeEntry] = await store.list({ teamId: null, action: "admin.user.purge", limit: 1 });
    expect(purgeEntry).toMatchObject({ scope: "admin", actorName: "system", result: "success", details: { purged: 1 } });
  });

  it("runs as a worker: purges at start, then waits for its next round until its signal aborts", async () => {
    const old = await deletedUser(30);
    const abort = new AbortController();
    const silent = createLogger("test", { level: "silent" });
    const worker = userPurgeWorker({ admins: createAdminRepository(db.pool), audit: createAuditLog(store, silent), logger: silent });
    const running = worker.run(abort.signal);
    await vi.waitFor(async () => expect(await userExists(old.id)).toBe(false), { timeout: 20_000, interval: 50 });
    abort.abort();
    await expect(running).resolves.toBeUndefined();
  });

  it("stops when its signal aborts during a round (the abort must not be missed while the purge runs)", async () => {
    // A store whose purge waits until the test lets it finish, so the abort lands mid-round.
    let roundStarted!: () => void;
    let finishRound!: () => void;
    const started = new Promise<void>((resolve) => (roundStarted = resolve));
    const admins = {
      purgeDeletedUsers: () => {
        roundStarted();
        return new Promise<number>((resolve) => (finishRound = () => resolve(0)));
      },
    };
    const silent = createLogger("test", { level: "silent" });
    const abort = new AbortController();
    const running = userPurgeWorker({ admins, audit: createAuditLog(store, silent), logger: silent }).run(abort.signal);
    await started;
    abort.abort();
    finishRound();
    await expect(running).resolves.toBeUndefined();
  });
});
