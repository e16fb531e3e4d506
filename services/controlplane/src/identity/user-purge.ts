import type { Logger } from "@wrenn/shared";
import { purgeGraceMs, type AdminStore } from "./admin-store.js";
import { systemActor, type AuditLog } from "./audit.js";

export interface UserPurgeOptions {
  admins: Pick<AdminStore, "purgeDeletedUsers">;
  audit: AuditLog;
  logger: Logger;
  /** How long after their deletion users are purged; 15 days unless a test says otherwise. */
  graceMs?: number;
  intervalMs?: number;
}

/** Purges the users deleted longer ago than the grace period, anonymizing their audit entries. Returns how many. */
export async function purgeDeletedUsersOnce(options: UserPurgeOptions): Promise<number> {
  const purged = await options.admins.purgeDeletedUsers(new Date(Date.now() - (options.graceMs ?? purgeGraceMs)));
  if (purged > 0) {
    options.logger.info({ purged }, "deleted users purged");
    await options.audit.record({
      scope: "admin",
      teamId: null,
      actor: systemActor,
      action: "admin.user.purge",
      resourceType: "user",
      result: "success",
      details: { purged },
    });
  }
  return purged;
}

/** The purge as a background worker: at start, then hourly, until its signal aborts. */
export function userPurgeWorker(options: UserPurgeOptions) {
  const intervalMs = options.intervalMs ?? 3600_000;
  return {
    name: "user-purge",
    singleton: true,
    async run(signal: AbortSignal): Promise<void> {
      while (!signal.aborted) {
        try {
          await purgeDeletedUsersOnce(options);
        } catch (err) {
          // The next round tries again; a purge that waits an hour loses nothing.
          options.logger.warn({ err: (err as Error).message }, "purging deleted users failed");
        }
        await sleep(intervalMs, signal);
      }
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // Aborted while a round ran: an abort event already fired will not fire again.
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // Never what keeps the process alive.
    timer.unref();
    signal.addEventListener("abort", done, { once: true });
  });
}
