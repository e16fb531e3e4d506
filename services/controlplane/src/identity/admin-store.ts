import type { TeamRecord, UserRecord } from "./identity-store.js";

/**
 * What platform administration needs from storage (db/identity/admin-repository.ts).
 * Ids are UUIDs. "Active admin": is_admin, neither deactivated nor deleted;
 * the platform always keeps at least one (every change that would remove the
 * last is refused, atomically: two concurrent revocations cannot both pass).
 */

/** Keyset position in a list ordered by creation time, then id. */
export interface ListCursor {
  /** created_at in microseconds since the epoch, as a decimal string (exact, unlike a JS Date). */
  createdAtMicros: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts; null on the last page. */
  next: ListCursor | null;
}

export type AdminChange =
  | { outcome: "changed"; user: UserRecord }
  /** No such user, or a (soft-)deleted one. */
  | { outcome: "not_found" }
  /** It would leave the platform without an active admin. */
  | { outcome: "last_admin" };

export interface HostSummary {
  id: string;
  address: string;
  status: string;
  runtime: string;
  cpuCount: number;
  memoryBytes: number;
  lastSeenAt: Date | null;
  freeMemoryBytes: number;
  loadAverage: number;
  diskFreeBytes: number;
  sandboxCount: number;
  sandboxMemoryBytes: number;
  templates: string[];
  /** Set for hosts that joined with a registration token. */
  registeredAt: Date | null;
  certificateExpiresAt: Date | null;
}

export interface AdminStore {
  /** Sets the admin flag (also on a deactivated user: it counts once they are reactivated). */
  grantAdmin(userId: string): Promise<AdminChange>;
  revokeAdmin(userId: string): Promise<AdminChange>;
  /** Users not deleted, oldest first. */
  listUsers(after: ListCursor | null, limit: number): Promise<Page<UserRecord>>;
  /** Every team, oldest first. */
  listTeams(after: ListCursor | null, limit: number): Promise<Page<TeamRecord>>;
  listHosts(): Promise<HostSummary[]>;
  /** Sets deactivated_at (kept if already set) and revokes every session of the user, in one transaction. */
  deactivateUser(userId: string): Promise<AdminChange>;
  /** Clears deactivated_at (a deleted user stays deleted: not_found). */
  reactivateUser(userId: string): Promise<AdminChange>;
  /**
   * Soft delete: deleted_at (kept if already set) and deactivated_at, every
   * session and every API key the user made revoked, in one transaction.
   */
  deleteUser(userId: string): Promise<AdminChange>;
  /**
   * Deletes users soft-deleted before `deletedBefore`, each in a transaction
   * with the anonymization of their audit entries (actor "deleted-user", the
   * resource id and their email in details cleared). Returns how many.
   */
  purgeDeletedUsers(deletedBefore: Date): Promise<number>;
}

/** How long a deleted user is kept (deactivated) before the purge removes them. */
export const purgeGraceMs = 15 * 24 * 3600_000;
