import type { ApiKeyTextFormat } from "./api-key-text.js";
import type { TeamRole } from "./principal.js";

/**
 * What identity code needs from storage (db/identity/ implements it with
 * PostgreSQL). Ids are UUIDs; secrets travel as their text and the store
 * keeps only their hash (api-key-text.ts). Nothing here knows a transport.
 */

export interface UserRecord {
  id: string;
  email: string;
  displayName: string;
  /** PHC string (argon2id); null for a user who only signs in through OIDC. */
  passwordHash: string | null;
  isAdmin: boolean;
  deactivatedAt: Date | null;
  deletedAt: Date | null;
  createdAt: Date;
}

export interface NewUser {
  email: string;
  displayName?: string;
  passwordHash: string | null;
  isAdmin?: boolean;
}

/** A user who may act: neither deactivated nor (soft-)deleted. */
export function isActiveUser(user: Pick<UserRecord, "deactivatedAt" | "deletedAt">): boolean {
  return user.deactivatedAt === null && user.deletedAt === null;
}

export interface UserStore {
  get(id: string): Promise<UserRecord | null>;
  /** Case-insensitive, like the unique index. Deleted and deactivated users are found too (check isActiveUser). */
  findByEmail(email: string): Promise<UserRecord | null>;
  /**
   * The user and a personal team they own, in one transaction (signup,
   * bootstrap, a first OIDC login). Null when the email is taken.
   */
  createWithPersonalTeam(user: NewUser, teamName?: string): Promise<{ user: UserRecord; team: TeamRecord } | null>;
}

export interface TeamRecord {
  id: string;
  name: string;
  /** The user whose personal team this is; null for other teams. */
  personalFor: string | null;
  sandboxQuota: number;
  createdAt: Date;
}

/** The team basics authentication needs; members, invites and roles are the team repository's (db/identity/team-repository.ts). */
export interface TeamStore {
  get(teamId: string): Promise<TeamRecord | null>;
  personalTeamOf(userId: string): Promise<TeamRecord | null>;
  /** The user's role in the team; null when not a member (or no such team). */
  roleOf(teamId: string, userId: string): Promise<TeamRole | null>;
}

export interface ApiKeyRecord {
  id: string;
  teamId: string;
  /** The user who made it (or whose key made it); null at bootstrap, or once that user is purged. */
  createdBy: string | null;
  name: string;
  prefix: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** A key as the authentication hook finds it: with what it needs to know about the creator. */
export interface ApiKeyLookup extends ApiKeyRecord {
  creator: Pick<UserRecord, "id" | "email" | "isAdmin" | "deactivatedAt" | "deletedAt"> | null;
}

export interface NewApiKey {
  teamId: string;
  name: string;
  createdBy: string | null;
  expiresAt: Date | null;
  /** The secret's text form; "wrenn" when unset. */
  format?: ApiKeyTextFormat;
}

export interface ApiKeyStore {
  /** Makes the secret, stores its hash; the secret is returned this once. */
  create(key: NewApiKey): Promise<{ key: ApiKeyRecord; secret: string }>;
  /** Every key of the team, revoked and expired ones included, oldest first. */
  list(teamId: string): Promise<ApiKeyRecord[]>;
  /** Sets revoked_at (kept if already set); null when the team has no such key. */
  revoke(teamId: string, keyId: string): Promise<ApiKeyRecord | null>;
  /** By the whole key's text (hashed here), revoked and expired ones too: the caller decides. */
  findBySecret(secret: string): Promise<ApiKeyLookup | null>;
  /** Sets last_used_at, at most once a minute per key (a conditional UPDATE: no write on most calls). */
  touch(keyId: string): Promise<void>;
}

export interface SessionRecord {
  id: string;
  userId: string;
  csrfToken: string;
  expiresAt: Date;
  refreshExpiresAt: Date;
  revokedAt: Date | null;
  ip: string;
  createdAt: Date;
}

/** A live session with its user, as the authentication hook needs it. */
export interface SessionLookup extends SessionRecord {
  user: UserRecord;
}

/** The secrets of a new or rotated session: they go into cookies, never into the database. */
export interface SessionTokens {
  session: SessionRecord;
  token: string;
  refreshToken: string;
}

export type RotateResult =
  | ({ outcome: "rotated" } & SessionTokens)
  /** The refresh token was already used once: the session is revoked now (a stolen token was replayed, or raced). */
  | { outcome: "reused"; sessionId: string; userId: string }
  /** Unknown, expired or revoked. */
  | { outcome: "invalid" };

/** Session lifetimes: the token 15 minutes, the refresh token 7 days. */
export const sessionTtlMs = 15 * 60_000;
export const refreshTtlMs = 7 * 24 * 3600_000;

export interface SessionStore {
  create(userId: string, ip: string): Promise<SessionTokens>;
  /** A session that is neither expired nor revoked, by its token's text; null otherwise. */
  findByToken(token: string): Promise<SessionLookup | null>;
  /** New token, refresh token and CSRF token for a live refresh token; the old pair stops working at once. */
  rotate(refreshToken: string): Promise<RotateResult>;
  revoke(sessionId: string): Promise<void>;
  /** Every session of the user (deactivation, password change). */
  revokeAllOfUser(userId: string): Promise<void>;
}
