import { randomBytes } from "node:crypto";
import type { DatabasePool } from "slonik";
import { createSessionRepository } from "../../../src/db/identity/session-repository.js";
import { createUserRepository } from "../../../src/db/identity/user-repository.js";

/** A user signed in through a browser session: the metadata a browser's calls carry (cookie and CSRF token). */
export interface SessionUser {
  userId: string;
  teamId: string;
  email: string;
  metadata: Record<string, string>;
}

/** The session metadata for an existing user (a session row, as a login makes it). */
export async function sessionFor(pool: DatabasePool, userId: string): Promise<Record<string, string>> {
  const { token, session } = await createSessionRepository(pool).create(userId, "127.0.0.1");
  return { cookie: `wrenn_session=${token}`, "x-csrf-token": session.csrfToken };
}

/** A new user with a personal team and a live session; `admin` makes them a platform admin. */
export async function newSessionUser(pool: DatabasePool, admin = false): Promise<SessionUser> {
  const email = `${admin ? "admin" : "user"}-${randomBytes(6).toString("hex")}@example.test`;
  const made = await createUserRepository(pool).createWithPersonalTeam({ email, passwordHash: null, isAdmin: admin });
  if (!made) throw new Error(`user ${email} exists`);
  return { userId: made.user.id, teamId: made.team.id, email, metadata: await sessionFor(pool, made.user.id) };
}
