import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sql } from "slonik";
import { z } from "zod";
import type { Database } from "../../../src/db/database.js";
import { createAdminRepository } from "../../../src/db/identity/admin-repository.js";
import { createApiKeyRepository } from "../../../src/db/identity/api-key-repository.js";
import { createSessionRepository } from "../../../src/db/identity/session-repository.js";
import { createUserRepository } from "../../../src/db/identity/user-repository.js";
import type { AdminStore } from "../../../src/identity/admin-store.js";
import { openTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../../support/test-database.js";

warnIfNoDatabase("admin repository tests");

const idRow = z.object({ id: z.string().uuid() });

/**
 * The last-admin rule, deactivation and deletion on real PostgreSQL. The pool
 * has several connections, so the concurrent statements really overlap; the
 * other admins of this run's database are set aside for each test (files run
 * one at a time) so the 21 made here are the platform's only ones.
 */
describe.skipIf(!testDatabaseUrl)("admin repository", () => {
  let db: Database;
  let admins: AdminStore;
  let setAside: string[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    admins = createAdminRepository(db.pool);
  });
  afterEach(async () => {
    await db.pool.query(sql.unsafe`UPDATE users SET is_admin = true WHERE id = ANY(${sql.array(setAside, "uuid")})`);
    setAside = [];
  });
  afterAll(async () => {
    await db?.close();
  });

  async function newUser(isAdmin = false): Promise<string> {
    const email = `admin-${randomBytes(6).toString("hex")}@example.test`;
    const created = await createUserRepository(db.pool).createWithPersonalTeam({ email, passwordHash: null, isAdmin });
    return created!.user.id;
  }

  /** `count` new admins, and no other active admin left on the platform. */
  async function onlyAdmins(count: number): Promise<string[]> {
    const ids = await Promise.all(Array.from({ length: count }, () => newUser(true)));
    const others = await db.pool.any(sql.type(idRow)`
      UPDATE users SET is_admin = false WHERE is_admin AND NOT (id = ANY(${sql.array(ids, "uuid")})) RETURNING id`);
    setAside = others.map((row) => row.id);
    return ids;
  }

  async function activeAdmins(among: string[]): Promise<number> {
    const rows = await db.pool.any(sql.type(idRow)`
      SELECT id FROM users WHERE is_admin AND deactivated_at IS NULL AND deleted_at IS NULL AND id = ANY(${sql.array(among, "uuid")})`);
    return rows.length;
  }

  it("of 21 concurrent revocations of all 21 admins, exactly one is refused and one admin remains", async () => {
    const ids = await onlyAdmins(21);
    const outcomes = await Promise.all(ids.map((id) => admins.revokeAdmin(id)));
    expect(outcomes.filter((o) => o.outcome === "changed")).toHaveLength(20);
    expect(outcomes.filter((o) => o.outcome === "last_admin")).toHaveLength(1);
    expect(await activeAdmins(ids)).toBe(1);
  });

  it("20 concurrent revocations of 20 of 21 admins all pass, leaving the 21st", async () => {
    const ids = await onlyAdmins(21);
    const outcomes = await Promise.all(ids.slice(0, 20).map((id) => admins.revokeAdmin(id)));
    expect(outcomes.every((o) => o.outcome === "changed")).toBe(true);
    expect(await activeAdmins(ids)).toBe(1);
    expect(await activeAdmins(ids.slice(20))).toBe(1);
  });

  it("revocations, deactivations and deletions racing each other still leave one active admin", async () => {
    const ids = await onlyAdmins(21);
    const changes = ids.map((id, i) => [admins.revokeAdmin, admins.deactivateUser, admins.deleteUser][i % 3]!(id));
    const outcomes = await Promise.all(changes);
    expect(outcomes.filter((o) => o.outcome === "last_admin")).toHaveLength(1);
    expect(await activeAdmins(ids)).toBe(1);
  });

  it("deactivating a user revokes their sessions; reactivating lets them in again but not those sessions", async () => {
    const userId = await newUser();
    const sessions = createSessionRepository(db.pool);
    const { token } = await sessions.create(userId, "203.0.113.9");
    expect(await sessions.findByToken(token)).not.toBeNull();
    const change = await admins.deactivateUser(userId);
    expect(change.outcome === "changed" && change.user.deactivatedAt).toBeInstanceOf(Date);
    expect(await sessions.findByToken(token)).toBeNull();
    const back = await admins.reactivateUser(userId);
    expect(back.outcome === "changed" && back.user.deactivatedAt).toBeNull();
    expect(await sessions.findByToken(token)).toBeNull();
  });

  it("deleting a user deactivates them, revokes the keys they made and hides them from the user list", async () => {
    const userId = await newUser();
    const team = await db.pool.one(sql.type(idRow)`SELECT id FROM teams WHERE personal_for = ${userId}::uuid`);
    const keys = createApiKeyRepository(db.pool);
    const { key } = await keys.create({ teamId: team.id, name: "k", createdBy: userId, expiresAt: null });
    const first = await admins.deleteUser(userId);
    expect(first.outcome).toBe("changed");
    const deletedAt = first.outcome === "changed" ? first.user.deletedAt : null;
    expect(deletedAt).toBeInstanceOf(Date);
    expect(first.outcome === "changed" && first.user.deactivatedAt).toBeInstanceOf(Date);
    expect((await keys.list(team.id)).find((k) => k.id === key.id)?.revokedAt).toBeInstanceOf(Date);
    // Again: the same deletion time (so the same purge date), not a new one.
    const again = await admins.deleteUser(userId);
    expect(again.outcome === "changed" && again.user.deletedAt).toEqual(deletedAt);
    expect(await admins.reactivateUser(userId)).toEqual({ outcome: "not_found" });
    expect(await admins.grantAdmin(userId)).toEqual({ outcome: "not_found" });
    expect(await allUserIds()).not.toContain(userId);
  });

  it("lists users a page at a time, oldest first, each once", async () => {
    const made = [await newUser(), await newUser(), await newUser()];
    const seen = await allUserIds(2);
    expect(new Set(seen).size).toBe(seen.length);
    const positions = made.map((id) => seen.indexOf(id));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("lists teams a page at a time, each once", async () => {
    await newUser();
    const ids: string[] = [];
    let page = await admins.listTeams(null, 3);
    for (;;) {
      ids.push(...page.items.map((t) => t.id));
      if (!page.next) break;
      page = await admins.listTeams(page.next, 3);
    }
    const all = await db.pool.any(sql.type(idRow)`SELECT id FROM teams`);
    expect(ids.sort()).toEqual(all.map((row) => row.id).sort());
  });

  async function allUserIds(pageSize = 100): Promise<string[]> {
    const ids: string[] = [];
    let page = await admins.listUsers(null, pageSize);
    for (;;) {
      ids.push(...page.items.map((u) => u.id));
      if (!page.next) return ids;
      page = await admins.listUsers(page.next, pageSize);
    }
  }
});
