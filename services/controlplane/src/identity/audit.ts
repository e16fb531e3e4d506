import { toWireId, type Logger } from "@wrenn/shared";
import type { Principal } from "./principal.js";

/**
 * The audit log: one entry per state-changing action, success or refusal.
 * RPCs are recorded by the audit middleware (rpc/audit/audit-middleware.ts);
 * what is not an RPC (cookie logins and logouts, OIDC, the purge) calls
 * `AuditLog.record` itself.
 */
export type AuditScope = "team" | "admin";
export type AuditResult = "success" | "failure";

/** Who acted. `userId` is a UUID (null for an API key, a purged user or the system). */
export interface AuditActor {
  userId: string | null;
  /** The user's email, "api-key <prefix>", "sandbox-token <sandbox id>", "system" or "deleted-user". */
  name: string;
  /** An API key's visible prefix; "" otherwise. */
  keyPrefix: string;
}

export interface AuditEntryInput {
  /** Default: "team" when `teamId` is set, else "admin". */
  scope?: AuditScope;
  /** The team the action concerns (UUID); null for none. */
  teamId: string | null;
  actor: AuditActor;
  /** "sandbox.create", "auth.login", … (lowercase, dot-separated, most general first). */
  action: string;
  /** "sandbox", "api_key", "team", "user", "session", … */
  resourceType: string;
  /** The resource's wire id ("sb-…", "usr-…", "key-…"); "" for none. */
  resourceId?: string;
  result: AuditResult;
  ip?: string;
  /** Small JSON facts (a failure's status code, a provider name). Never a secret. */
  details?: Record<string, unknown>;
  /** Default: now. */
  time?: Date;
}

/** What is stored, as read back. */
export interface AuditEntry {
  /** The row's id (a growing integer, as a decimal string). */
  id: string;
  scope: AuditScope;
  teamId: string | null;
  actorUserId: string | null;
  actorName: string;
  actorKeyPrefix: string;
  action: string;
  resourceType: string;
  resourceId: string;
  result: AuditResult;
  ip: string;
  details: Record<string, unknown>;
  time: Date;
}

export interface AuditQuery {
  /** Team scope: that team's team-scope entries. Null: every entry (the platform admins' view). */
  teamId: string | null;
  /** Exact action, or a prefix when it ends in "." ("sandbox."). */
  action?: string;
  actorUserId?: string;
  resourceId?: string;
  result?: AuditResult;
  since?: Date;
  until?: Date;
  /** Entries with an id below this one (the previous page's last). */
  beforeId?: string;
  limit: number;
}

/** Storage of the audit log (db/identity/audit-repository.ts). Its methods may throw. */
export interface AuditStore {
  insert(entry: AuditEntryInput): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}

/** Records entries and never fails the caller: an entry that cannot be stored is logged (warn) and dropped. */
export interface AuditLog {
  record(entry: AuditEntryInput): Promise<void>;
}

export function createAuditLog(store: AuditStore, logger: Logger): AuditLog {
  return {
    async record(entry) {
      try {
        await store.insert(entry);
      } catch (err) {
        logger.warn({ err: (err as Error).message, action: entry.action, result: entry.result }, "audit entry not recorded");
      }
    },
  };
}

/**
 * The actor a principal stands for: a key as "api-key <prefix>", a sandbox
 * access token as "sandbox-token sb-…" (the sandbox it belongs to: the token
 * itself is a secret kept in its row), a session as its user.
 */
export function actorOf(principal: Principal): AuditActor {
  if (principal.credential === "sandbox_token" && principal.onlySandboxId) {
    return { userId: null, name: `sandbox-token ${toWireId("sb", principal.onlySandboxId)}`, keyPrefix: "" };
  }
  if (principal.credential === "api_key" && principal.apiKey) {
    return { userId: null, name: `api-key ${principal.apiKey.prefix}`, keyPrefix: principal.apiKey.prefix };
  }
  if (principal.user) return userActor(principal.user);
  return { userId: null, name: "unknown", keyPrefix: "" };
}

/** A signed-in (or just signed-up) user as the actor. */
export function userActor(user: { id: string; email: string }): AuditActor {
  return { userId: user.id, name: user.email, keyPrefix: "" };
}

/** The controlplane itself (the purge). */
export const systemActor: AuditActor = { userId: null, name: "system", keyPrefix: "" };
