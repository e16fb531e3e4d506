import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "slonik";
import { z } from "zod";
import type { Database } from "../../../src/db/database.js";
import { createTeamRepository } from "../../../src/db/identity/team-repository.js";
import { createUserRepository } from "../../../src/db/identity/user-repository.js";
import type { TeamMembershipStore } from "../../../src/identity/team-membership-store.js";
import type { TeamRole } from "../../../src/identity/principal.js";
import { openTestDatabase, testDatabaseUrl, warnIfNoDatabase } from "../../support/test-database.js";

warnIfNoDatabase("team repository tests");

const all: TeamRole[] = ["owner", "admin", "member"];

/**
 * The last-owner rule under concurrency, on real PostgreSQL with a pool of
 * several connections: the statements really run at the same time, and the
 * lock on the team's owner rows is what keeps one owner.
 */
describe.skipIf(!testDatabaseUrl)("team repository: the last owner", () => {
  let db: Database;
  let teams: TeamMembershipStore;

  beforeAll(async () => {
    db = await openTestDatabase();
    teams = createTeamRepository(db.pool);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function newUser(): Promise<string> {
    const email = `owner-${randomBytes(6).toString("hex")}@example.test`;
    const created = await createUserRepository(db.pool).createWithPersonalTeam({ email, passwordHash: null });
    return created!.user.id;
  }

  /** A team whose `count` users are all owners. */
  async function teamOfOwners(count: number): Promise<{ teamId: string; owners: string[] }> {
    const owners = await Promise.all(Array.from({ length: count }, newUser));
    const team = await teams.createTeam(owners[0], "owners");
    for (const owner of owners.slice(1)) {
      await db.pool.query(sql.unsafe`INSERT INTO team_members (team_id, user_id, role) VALUES (${team.id}::uuid, ${owner}::uuid, 'owner')`);
    }
    return { teamId: team.id, owners };
  }

  const ownerCount = (teamId: string) =>
    db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM team_members WHERE team_id = ${teamId}::uuid AND role = 'owner'`);

  it("two owners leaving at once: one leaves, one stays (repeated)", async () => {
    for (let round = 0; round < 10; round++) {
      const { teamId, owners } = await teamOfOwners(2);
      const results = await Promise.all(owners.map((owner) => teams.removeMember(teamId, owner, all)));
      expect(results.sort()).toEqual(["last_owner", "removed"]);
      expect(await ownerCount(teamId)).toBe(1);
    }
  });

  it("six owners, half leaving and half demoted, all at once: exactly one owner is left", async () => {
    const { teamId, owners } = await teamOfOwners(6);
    const results = await Promise.all(
      owners.map((owner, i) => (i % 2 === 0 ? teams.removeMember(teamId, owner, all) : teams.setRole(teamId, owner, "member", all))),
    );
    expect(results.filter((result) => result === "last_owner")).toHaveLength(1);
    expect(await ownerCount(teamId)).toBe(1);
  });

  it("the one owner can be neither removed nor demoted; a non-owner target is untouched by a refused role", async () => {
    const { teamId, owners } = await teamOfOwners(1);
    expect(await teams.removeMember(teamId, owners[0], all)).toBe("last_owner");
    expect(await teams.setRole(teamId, owners[0], "admin", all)).toBe("last_owner");
    // An admin's list of touchable roles leaves owners out: refused before the count matters.
    expect(await teams.removeMember(teamId, owners[0], ["admin", "member"])).toBe("role_not_allowed");
    expect(await teams.removeMember(teamId, await newUser(), all)).toBe("not_member");
    expect(await ownerCount(teamId)).toBe(1);
  });
});
