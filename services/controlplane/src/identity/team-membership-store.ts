import type { TeamRecord } from "./identity-store.js";
import type { TeamRole } from "./principal.js";

/**
 * Members, invites and roles (db/identity/team-repository.ts). The team
 * basics authentication needs are identity-store.ts's TeamStore. Ids are UUIDs.
 */

/** A team as one of its members sees it. */
export interface MemberTeam extends TeamRecord {
  role: TeamRole;
}

export interface MemberRecord {
  userId: string;
  email: string;
  displayName: string;
  role: TeamRole;
  joinedAt: Date;
}

export interface NewInvite {
  teamId: string;
  email: string;
  role: TeamRole;
  /** SHA-256 of the token's text; the token itself is only in the inviter's answer. */
  tokenHash: Buffer;
  invitedBy: string;
  expiresAt: Date;
}

export type AcceptResult =
  | { outcome: "accepted"; teamId: string }
  /** A live invite, for another email address: left unused. */
  | { outcome: "wrong_email" }
  /** Unknown, expired or already used. */
  | { outcome: "invalid" };

/**
 * Why a remove or re-role changed nothing: no such member; the member's role
 * is not one the caller may touch; or the member is the team's last owner.
 */
export type MemberChangeRefusal = "not_member" | "role_not_allowed" | "last_owner";

export interface TeamMembershipStore {
  /** A new (non-personal) team with `ownerId` as its one owner. */
  createTeam(ownerId: string, name: string): Promise<MemberTeam>;
  /** Every team the user is a member of, personal first, then oldest first. */
  listTeams(userId: string): Promise<MemberTeam[]>;
  /** The team as `userId` sees it; null when not a member (or no such team). */
  teamOf(teamId: string, userId: string): Promise<MemberTeam | null>;
  listMembers(teamId: string): Promise<MemberRecord[]>;
  /** Whether a user with this email (case-insensitive) is a member already. */
  hasMemberWithEmail(teamId: string, email: string): Promise<boolean>;
  createInvite(invite: NewInvite): Promise<{ id: string; expiresAt: Date }>;
  /** Uses a live invite whose email is the user's, and adds the user (an existing member keeps their role). Single use under concurrency. */
  acceptInvite(tokenHash: Buffer, user: { id: string; email: string }): Promise<AcceptResult>;
  /**
   * Gives the member `role` if their current role is one of `targetRoles`,
   * unless that would leave the team without an owner (one statement).
   */
  setRole(teamId: string, userId: string, role: TeamRole, targetRoles: readonly TeamRole[]): Promise<MemberRecord | MemberChangeRefusal>;
  /** Removes the member if their role is one of `targetRoles`, unless they are the last owner (one statement). */
  removeMember(teamId: string, userId: string, targetRoles: readonly TeamRole[]): Promise<"removed" | MemberChangeRefusal>;
}
