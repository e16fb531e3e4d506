import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@wrenn/shared";
import type { BackgroundWorker } from "../extensions.js";
import type { LeaseStore } from "./lease-store.js";
import { runNow } from "../workers.js";

export interface LeaseOptions {
  leases: LeaseStore;
  /** This controlplane copy, as the lease table shows it. */
  holder: string;
  /** How long a lease lives unrenewed: a killed copy's jobs move after at most this, plus one renewal interval. */
  ttlMs: number;
  logger: Logger;
}

/** A name for this copy that says where it runs and tells two copies on one machine apart. */
export function controlPlaneCopyId(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * Runs `worker` on one controlplane copy at a time: on whichever holds the
 * lease named after it. Every copy renews (or tries to take) the lease three
 * times per TTL. The worker starts when the lease is won and is stopped, with
 * its own signal, when a renewal fails, so after an unreachable database or a
 * long pause this copy gives the job up before another can have taken it.
 * A worker that ends or fails by itself gives the lease up too.
 */
export function leasedWorker(worker: BackgroundWorker, options: LeaseOptions): BackgroundWorker {
  const { leases, holder, ttlMs } = options;
  const log = options.logger.child({ worker: worker.name, lease: worker.name });
  const renewEveryMs = Math.max(50, Math.floor(ttlMs / 3));
  return {
    name: worker.name,
    async run(signal) {
      let inner: Running | undefined;
      const stopInner = async () => {
        const running = inner;
        inner = undefined;
        if (!running) return;
        running.abort.abort();
        await running.done;
      };
      try {
        while (!signal.aborted) {
          const held = await leases.tryAcquire(worker.name, holder, ttlMs).catch((err: unknown) => {
            log.warn({ err: (err as Error).message }, "could not renew the lease; stopping the job until it is won again");
            return false;
          });
          // A job that ended without being asked goes to another copy rather than hold the lease idle.
          if (inner?.ended()) return;
          if (held && !inner) {
            log.info({ holder }, "lease won; job running on this copy");
            inner = startJob(worker, log);
          } else if (!held && inner) {
            log.warn({ holder }, "lease lost; job stopped on this copy");
            await stopInner();
          }
          await sleep(renewEveryMs, undefined, { signal }).catch(() => undefined);
        }
      } finally {
        await stopInner();
        await leases.release(worker.name, holder).catch((err: unknown) => log.warn({ err: (err as Error).message }, "could not give the lease up; it expires by itself"));
      }
    },
  };
}

interface Running {
  abort: AbortController;
  done: Promise<void>;
  ended(): boolean;
}

function startJob(worker: BackgroundWorker, log: Logger): Running {
  const abort = new AbortController();
  let ended = false;
  const done = runNow(worker, abort.signal)
    .then(
      () => {
        if (!abort.signal.aborted) log.warn("job ended on its own; giving the lease up");
      },
      (err: unknown) => {
        if (!abort.signal.aborted) log.error({ err }, "job failed; giving the lease up");
      },
    )
    .finally(() => {
      ended = !abort.signal.aborted;
    });
  return { abort, done, ended: () => ended };
}
