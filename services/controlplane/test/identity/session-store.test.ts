import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import type { Database } from "../../src/db/database.js";
import { createSessionRepository } from "../../src/db/identity/session-repository.js";
import { createUserRepository } from "../../src/db/identity/user-repository.js";
import type { SessionStore } from "../../src/identity/identity-store.js";
import { openTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("session store tests");

describe.skipIf(!testDatabaseUrl)("session store (PostgreSQL)", () => {
  let db: Database;
  let sessions: SessionStore;
  let userId: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    sessions = createSessionRepository(db.pool);
    const made = await createUserRepository(db.pool).createWithPersonalTeam({ email: `st-${randomBytes(5).toString("hex")}@example.test`, passwordHash: null });
    userId = made!.user.id;
  });
  afterAll(async () => {
    await db?.close();
  });

  it("rotation replaces token, refresh token and CSRF token; the old ones stop at once", async () => {
    const first = await sessions.create(userId, "192.0.2.1");
    expect((await sessions.findByToken(first.token))?.user.id).toBe(userId);
    const rotated = await sessions.rotate(first.refreshToken);
    if (rotated.outcome !== "rotated") throw new Error(`expected a rotation, got ${rotated.outcome}`);
    expect(rotated.session.id).toBe(first.session.id);
    expect(rotated.token).not.toBe(first.token);
    expect(rotated.session.csrfToken).not.toBe(first.session.csrfToken);
    expect(await sessions.findByToken(first.token)).toBeNull();
    expect((await sessions.findByToken(rotated.token))?.id).toBe(first.session.id);
  });

  it("a refresh token used twice revokes the session (the replay and the rightful holder both lose it)", async () => {
    const first = await sessions.create(userId, "192.0.2.1");
    const rotated = await sessions.rotate(first.refreshToken);
    expect(rotated.outcome).toBe("rotated");
    expect(await sessions.rotate(first.refreshToken)).toEqual({ outcome: "reused", sessionId: first.session.id, userId });
    if (rotated.outcome !== "rotated") return;
    expect(await sessions.findByToken(rotated.token)).toBeNull();
    expect((await sessions.rotate(rotated.refreshToken)).outcome).toBe("invalid");
  });

  it("of two refreshes racing with one token exactly one rotates", async () => {
    const first = await sessions.create(userId, "192.0.2.1");
    const outcomes = await Promise.all([sessions.rotate(first.refreshToken), sessions.rotate(first.refreshToken)]);
    expect(outcomes.filter((o) => o.outcome === "rotated")).toHaveLength(1);
  });

  it("an unknown refresh token is invalid; revoking ends the session and every one of the user's", async () => {
    expect((await sessions.rotate(`wrr_${"C".repeat(43)}`)).outcome).toBe("invalid");
    const a = await sessions.create(userId, "");
    const b = await sessions.create(userId, "");
    await sessions.revoke(a.session.id);
    expect(await sessions.findByToken(a.token)).toBeNull();
    expect(await sessions.findByToken(b.token)).not.toBeNull();
    await sessions.revokeAllOfUser(userId);
    expect(await sessions.findByToken(b.token)).toBeNull();
    expect((await sessions.rotate(b.refreshToken)).outcome).toBe("invalid");
  });
});
