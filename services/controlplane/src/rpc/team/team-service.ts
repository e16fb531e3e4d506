import type { TeamServiceImplementation } from "@wrenn/gen/wrenn/api/v1/team.js";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import { acceptInviteHandler } from "./accept-invite.js";
import { createTeamHandler } from "./create-team.js";
import { inviteMemberHandler } from "./invite-member.js";
import { leaveTeamHandler } from "./leave-team.js";
import { listMembersHandler } from "./list-members.js";
import { listTeamsHandler } from "./list-teams.js";
import { removeMemberHandler } from "./remove-member.js";
import { updateMemberRoleHandler } from "./update-member-role.js";

/** TeamService: every call needs a signed-in user (see team-caller.ts). */
export function createTeamService(teams: TeamMembershipStore): TeamServiceImplementation {
  return {
    createTeam: createTeamHandler(teams),
    listTeams: listTeamsHandler(teams),
    listMembers: listMembersHandler(teams),
    inviteMember: inviteMemberHandler(teams),
    acceptInvite: acceptInviteHandler(teams),
    updateMemberRole: updateMemberRoleHandler(teams),
    removeMember: removeMemberHandler(teams),
    leaveTeam: leaveTeamHandler(teams),
  };
}
