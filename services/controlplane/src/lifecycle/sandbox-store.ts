import type { ExpiryAction, SandboxRecord, SandboxResources, SandboxStatus } from "./sandbox.js";

export interface NewSandbox {
  id: string;
  /** The owning team; the insert counts against its sandbox quota (`teams.sandbox_quota`). */
  teamId: string;
  templateId: string;
  /** The template row it is made from (`sandboxes.template_uuid`). */
  templateUuid?: string | null;
  hostId: string;
  metadata: Record<string, string>;
  onExpiry?: ExpiryAction;
  publicPorts?: boolean;
  autoResume?: boolean;
  trafficToken?: string;
  /** The sandbox's own credential (Sandbox.access_token, "wra_…"); unique among sandboxes. */
  accessToken?: string;
}

export interface TransitionOptions {
  /**
   * Why, for `error` (and kept as a note otherwise); empty when unset. Often
   * a host's words: stored as safe text (no NUL, which PostgreSQL refuses; at most 1 KiB).
   */
  error?: string;
  /**
   * Apply only if the row has not changed since this time. Guards writes
   * based on an observation made at that time (a host event, a host's list)
   * against a newer change, e.g. a replayed AUTO_PAUSED after a resume.
   */
  unchangedSince?: Date;
  /** Also record the host's expiry time (null clears it); unset leaves it. */
  expiresAt?: Date | null;
  /** Also record what the host gave the sandbox; unset leaves it. */
  resources?: SandboxResources;
}

export interface SandboxFilter {
  teamId?: string;
  /** Label pairs that must all be present with exactly these values. */
  metadata?: readonly (readonly [key: string, value: string])[];
}

/**
 * What the lifecycle needs from the store of record (PostgreSQL in
 * db/sandbox-repository.ts). Ids are UUIDs.
 */
export interface SandboxStore {
  /**
   * Inserts a sandbox in `starting`, under a per-team lock so concurrent
   * creates cannot exceed the team's quota (sandboxes not stopped or in error
   * count): over it, RESOURCE_EXHAUSTED (`quotaExceeded`). Environment
   * variables are never passed here.
   */
  insertStarting(sandbox: NewSandbox): Promise<SandboxRecord>;
  /** The row as it is, whatever its status (visibility rules are the lifecycle's). */
  get(id: string): Promise<SandboxRecord | null>;
  /** The sandbox whose access token this is, whatever its status; null when none. */
  findByAccessToken(token: string): Promise<SandboxRecord | null>;
  /** Every sandbox that is not `stopped`, oldest first. */
  listActive(): Promise<SandboxRecord[]>;
  /**
   * Every sandbox that is not `stopped` or stopped at or after `stoppedSince`,
   * oldest first; only `filter.teamId`'s when set (every team's otherwise: the
   * platform admin's view), and only those whose metadata holds every pair of
   * `filter.metadata`.
   */
  listVisible(stoppedSince: Date, filter?: SandboxFilter): Promise<SandboxRecord[]>;
  /** Deletes sandboxes stopped before `stoppedBefore`; returns how many. */
  purgeStopped(stoppedBefore: Date): Promise<number>;
  /**
   * Moves a sandbox to `next` only if its status is one of `expected`, in one
   * statement. Returns the updated row, or null when the sandbox is unknown or
   * was in another status (someone else got there first).
   */
  transition(
    id: string,
    expected: readonly SandboxStatus[],
    next: SandboxStatus,
    errorOrOptions?: string | TransitionOptions,
  ): Promise<SandboxRecord | null>;
  /** Every sandbox on the host that is not `stopped`. */
  listActiveOnHost(hostId: string): Promise<SandboxRecord[]>;
  /** Records the host's expiry time, whatever the status. */
  setExpiresAt(id: string, expiresAt: Date | null): Promise<SandboxRecord | null>;
  /** How many sandboxes are in each status (every team; statuses with none are absent), for /metrics. */
  countByStatus(): Promise<Partial<Record<SandboxStatus, number>>>;
}
