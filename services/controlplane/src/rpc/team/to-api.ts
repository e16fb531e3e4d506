import { toWireId } from "@wrenn/shared";
import { TeamRole as ApiRole, type Member, type Team } from "@wrenn/gen/wrenn/api/v1/team.js";
import type { TeamRecord } from "../../identity/identity-store.js";
import type { TeamRole } from "../../identity/principal.js";
import type { MemberRecord } from "../../identity/team-membership-store.js";

const roleToApi: Record<TeamRole, ApiRole> = {
  owner: ApiRole.TEAM_ROLE_OWNER,
  admin: ApiRole.TEAM_ROLE_ADMIN,
  member: ApiRole.TEAM_ROLE_MEMBER,
};

/** A team as the API shows it; `role` is the caller's (null: unspecified, e.g. for an API key). */
export function teamToApi(team: TeamRecord, role: TeamRole | null): Team {
  return {
    teamId: toWireId("team", team.id),
    name: team.name,
    role: role ? roleToApi[role] : ApiRole.TEAM_ROLE_UNSPECIFIED,
    personal: team.personalFor !== null,
    sandboxQuota: team.sandboxQuota,
    createdAt: team.createdAt,
  };
}

export function memberToApi(member: MemberRecord): Member {
  return {
    userId: toWireId("usr", member.userId),
    email: member.email,
    displayName: member.displayName,
    role: roleToApi[member.role],
    joinedAt: member.joinedAt,
  };
}

/** A role a request names; unspecified (or an unknown number) is null. */
export function roleFromApi(role: ApiRole): TeamRole | null {
  switch (role) {
    case ApiRole.TEAM_ROLE_OWNER:
      return "owner";
    case ApiRole.TEAM_ROLE_ADMIN:
      return "admin";
    case ApiRole.TEAM_ROLE_MEMBER:
      return "member";
    default:
      return null;
  }
}
