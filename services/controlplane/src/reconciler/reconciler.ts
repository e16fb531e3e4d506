import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@wrenn/shared";
import type { SandboxRecord, SandboxStatus } from "../lifecycle/sandbox.js";
import type { SandboxStore } from "../lifecycle/sandbox-store.js";
import type { HostSandboxState, Scheduler } from "../lifecycle/host-contract.js";

export interface ReconcilerOptions {
  sandboxes: SandboxStore;
  scheduler: Pick<Scheduler, "hostFor">;
  /** UUIDs of the hosts to reconcile on each round. */
  hostIds(): string[];
  logger: Logger;
  /** Called after a row was changed, to wake callers waiting on it. */
  notify(id: string): void;
  intervalMs: number;
  /** A transient status older than this is settled from what the host says. */
  stuckAfterMs: number;
}

export interface Reconciler {
  /** Reconciles every host each interval until `signal` aborts (on the copy holding the reconciler's lease). */
  rounds(signal: AbortSignal): Promise<void>;
  /** Settles one host now; concurrent calls for the same host share one run. */
  reconcileHost(hostId: string): Promise<ReconcileReport>;
  close(): Promise<void>;
}

export interface ReconcileReport {
  changed: { id: string; from: SandboxStatus; to: SandboxStatus }[];
  zombiesDestroyed: string[];
}

/** What a row should become given what its host has, or null to leave it. Pure; unit-tested. */
export function reconcileRow(
  row: Pick<SandboxRecord, "status" | "updatedAt">,
  onHost: HostSandboxState | undefined,
  now: Date,
  stuckAfterMs: number,
): { next: SandboxStatus; error: string } | null {
  const stuck = now.getTime() - row.updatedAt.getTime() > stuckAfterMs;
  switch (row.status) {
    case "running":
    case "paused":
      if (!onHost) return { next: "missing", error: "the host no longer has the sandbox" };
      return onHost.state === row.status ? null : { next: onHost.state, error: "" };
    case "missing":
      // It turned up again (a host that was unreachable, not gone).
      return onHost ? { next: onHost.state, error: "" } : null;
    case "starting":
      if (!stuck) return null;
      return onHost ? { next: onHost.state, error: "" } : { next: "error", error: "the sandbox did not start in time" };
    case "pausing":
    case "resuming":
      if (!stuck) return null;
      return onHost ? { next: onHost.state, error: "" } : { next: "error", error: `the host lost the sandbox while ${row.status}` };
    case "stopping":
      // With the host still holding it, the destroy is retried instead (see reconcileHost).
      return stuck && !onHost ? { next: "stopped", error: "" } : null;
    default:
      return null;
  }
}

/**
 * Compares each host's list of sandboxes with the database, on a timer and on
 * demand (a host that came back online): rows the host no longer has become
 * `missing`, transient rows stuck past a deadline are settled from what the
 * host has, and sandboxes the host runs but the database has stopped or never
 * knew (zombies) are destroyed on the host. The host is listed before the
 * rows are read, and every write is conditional on the status read and on the
 * row not having changed since the list, so a sandbox created or changed
 * meanwhile is never touched.
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { sandboxes, scheduler, logger, notify } = options;
  const running = new Map<string, Promise<ReconcileReport>>();
  let closed = false;

  async function run(hostId: string): Promise<ReconcileReport> {
    const report: ReconcileReport = { changed: [], zombiesDestroyed: [] };
    const host = await scheduler.hostFor(hostId);
    const listedAt = new Date();
    const listed = await host.listSandboxes();
    const onHost = new Map(listed.map((s) => [s.sandboxId, s]));
    const rows = await sandboxes.listActiveOnHost(hostId);
    const now = new Date();

    for (const row of rows) {
      const found = onHost.get(row.id);
      if (row.status === "stopping" && found && now.getTime() - row.updatedAt.getTime() > options.stuckAfterMs) {
        // A destroy that never finished: do it again, then it is stopped.
        const result = await host.destroySandbox(row.id).catch(() => null);
        if (result) await change(row, { next: "stopped", error: "" });
        continue;
      }
      const decision = reconcileRow(row, found, now, options.stuckAfterMs);
      if (decision) await change(row, decision);
    }

    const known = new Set(rows.map((r) => r.id));
    for (const sandbox of listed) {
      if (known.has(sandbox.sandboxId)) continue;
      const row = await sandboxes.get(sandbox.sandboxId);
      if (row && row.status !== "stopped") continue;
      logger.warn({ sandboxId: sandbox.sandboxId, hostId, status: row?.status ?? "unknown" }, "destroying a zombie sandbox on its host");
      const result = await host.destroySandbox(sandbox.sandboxId).catch((err) => {
        logger.warn({ sandboxId: sandbox.sandboxId, err: (err as Error).message }, "zombie destroy failed");
        return null;
      });
      if (result) report.zombiesDestroyed.push(sandbox.sandboxId);
    }
    return report;

    async function change(row: SandboxRecord, decision: { next: SandboxStatus; error: string }) {
      const updated = await sandboxes.transition(row.id, [row.status], decision.next, {
        error: decision.error,
        unchangedSince: listedAt,
        ...(decision.next === "running" ? {} : { expiresAt: null }),
      });
      if (!updated) return;
      logger.info({ sandboxId: row.id, hostId, from: row.status, to: decision.next, reason: decision.error || undefined }, "reconciled sandbox");
      report.changed.push({ id: row.id, from: row.status, to: decision.next });
      notify(row.id);
    }
  }

  function reconcileHost(hostId: string): Promise<ReconcileReport> {
    const existing = running.get(hostId);
    if (existing) return existing;
    const task = run(hostId).finally(() => running.delete(hostId));
    running.set(hostId, task);
    return task;
  }

  async function round(): Promise<void> {
    for (const hostId of options.hostIds()) {
      if (closed) return;
      await reconcileHost(hostId).catch((err) =>
        logger.warn({ hostId, err: (err as Error).message }, "reconcile failed; will retry on the next round"),
      );
    }
  }

  return {
    async rounds(signal) {
      while (!closed && !signal.aborted) {
        await sleep(options.intervalMs, undefined, { signal }).catch(() => undefined);
        if (closed || signal.aborted) return;
        await round();
      }
    },
    reconcileHost,
    async close() {
      closed = true;
      await Promise.allSettled([...running.values()]);
    },
  };
}
