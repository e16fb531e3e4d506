import type { TeamRole } from "./principal.js";

/**
 * Who may do what to a team's members. Owners do everything; admins invite,
 * remove and re-role members and admins (never owners, never to owner);
 * members list and leave. What a role may touch is handed to the store as a
 * list of target roles, so the check and the change are one SQL statement
 * (a target promoted to owner meanwhile is not removed by an admin).
 */
const manageable: Record<TeamRole, readonly TeamRole[]> = {
  owner: ["owner", "admin", "member"],
  admin: ["admin", "member"],
  member: [],
};

/** The roles of members `actor` may remove, re-role, or invite as. */
export function rolesManageableBy(actor: TeamRole): readonly TeamRole[] {
  return manageable[actor];
}

export function canManageMembers(actor: TeamRole): boolean {
  return manageable[actor].length > 0;
}
