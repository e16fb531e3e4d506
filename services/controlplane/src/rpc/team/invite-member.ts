import { randomBytes } from "node:crypto";
import type { InviteMemberRequest, InviteMemberResponse } from "@wrenn/gen/wrenn/api/v1/team.js";
import { errors, toWireId } from "@wrenn/shared";
import { secretHash } from "../../identity/api-key-text.js";
import { checkedEmail } from "../../identity/email.js";
import type { TeamMembershipStore } from "../../identity/team-membership-store.js";
import { canManageMembers, rolesManageableBy } from "../../identity/team-roles.js";
import type { CallerContext } from "../caller-context.js";
import { memberTeamOf, signedInUser } from "./team-caller.js";
import { roleFromApi } from "./to-api.js";

const inviteTtlMs = 7 * 24 * 3600_000;

/**
 * Owners and admins invite by email. The token (32 random bytes, base64url,
 * behind "wri_") is in this answer only; the database keeps its SHA-256.
 */
export function inviteMemberHandler(teams: TeamMembershipStore) {
  return async function inviteMember(request: InviteMemberRequest, context: CallerContext): Promise<InviteMemberResponse> {
    const user = signedInUser(context);
    const team = await memberTeamOf(teams, request.teamId, user.id);
    const email = checkedEmail(request.email);
    const role = roleFromApi(request.role) ?? "member";
    if (!canManageMembers(team.role)) throw errors.permissionDenied("only owners and admins can invite members");
    // A personal team stays its user's alone: with a second owner its user could leave it, and
    // then have no team to act for by default.
    if (team.personalFor !== null) throw errors.failedPrecondition("a personal team has only its owner; create a team to invite others");
    if (!rolesManageableBy(team.role).includes(role)) throw errors.permissionDenied("only owners can invite owners");
    if (await teams.hasMemberWithEmail(team.id, email)) {
      throw errors.alreadyExists(`${email} is already a member of team ${toWireId("team", team.id)}`);
    }
    const token = `wri_${randomBytes(32).toString("base64url")}`;
    const invite = await teams.createInvite({
      teamId: team.id,
      email,
      role,
      tokenHash: secretHash(token),
      invitedBy: user.id,
      expiresAt: new Date(Date.now() + inviteTtlMs),
    });
    return { inviteId: invite.id, token, expiresAt: invite.expiresAt };
  };
}
