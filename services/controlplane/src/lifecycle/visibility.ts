import { setTimeout as sleep } from "node:timers/promises";
import { errors, type Logger } from "@wrenn/shared";
import type { SandboxRecord } from "./sandbox.js";
import type { SandboxStore } from "./sandbox-store.js";

/** How long a stopped sandbox stays readable, unless configured (WRENN_STOPPED_RETENTION_SECONDS). */
export const defaultStoppedRetentionSeconds = 3600;

export const stoppedMessage = "sandbox is stopped";

/**
 * The one rule for what callers see of a sandbox, so every RPC answers alike:
 * - a sandbox that never existed, or stopped longer ago than the retention
 *   time, is NOT_FOUND (and its row is purged);
 * - a stopped sandbox within the retention time is readable (Get, List), and
 *   destroying it again is OK; every other operation on it (exec, files,
 *   ports, pause, resume, timeout, metrics) is FAILED_PRECONDITION
 *   "sandbox is stopped".
 */
export interface Visibility {
  retentionSeconds: number;
  /** The oldest stop time that is still shown. */
  stoppedSince(now?: Date): Date;
  /** The sandbox, or NOT_FOUND. */
  readable(record: SandboxRecord | null): SandboxRecord;
  /** Whether `readable` would return it. */
  isReadable(record: SandboxRecord): boolean;
  /** The sandbox, NOT_FOUND, or FAILED_PRECONDITION when it is stopped. */
  operable(record: SandboxRecord | null): SandboxRecord;
}

export function createVisibility(retentionSeconds = defaultStoppedRetentionSeconds): Visibility {
  const stoppedSince = (now = new Date()) => new Date(now.getTime() - retentionSeconds * 1000);
  const isReadable = (record: SandboxRecord) => !(record.status === "stopped" && (record.stoppedAt ?? record.updatedAt) < stoppedSince());
  const readable = (record: SandboxRecord | null): SandboxRecord => {
    if (!record || !isReadable(record)) throw errors.notFound("sandbox not found");
    return record;
  };
  return {
    retentionSeconds,
    stoppedSince,
    readable,
    isReadable,
    operable(record) {
      const found = readable(record);
      if (found.status === "stopped") throw errors.failedPrecondition(stoppedMessage);
      return found;
    },
  };
}

/**
 * Deletes stopped sandboxes once their retention time is over, at start and
 * then on a timer, as a background job (one copy at a time runs it). Reads
 * hide them already at that moment; this only keeps the table from growing.
 */
export function stoppedPurgeWorker(options: {
  sandboxes: SandboxStore;
  visibility: Visibility;
  logger: Logger;
  intervalMs?: number;
}): { name: string; run(signal: AbortSignal): Promise<void> } {
  const { sandboxes, visibility, logger } = options;
  const intervalMs = options.intervalMs ?? Math.min(5 * 60_000, Math.max(1_000, visibility.retentionSeconds * 250));
  const purge = async () => {
    try {
      const purged = await sandboxes.purgeStopped(visibility.stoppedSince());
      if (purged > 0) logger.info({ purged, retentionSeconds: visibility.retentionSeconds }, "stopped sandboxes purged");
    } catch (err) {
      logger.warn({ err: (err as Error).message }, "purging stopped sandboxes failed; trying again later");
    }
  };
  return {
    name: "stopped-sandbox-purge",
    async run(signal) {
      while (!signal.aborted) {
        await purge();
        await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
      }
    },
  };
}
