import { errors, hasGrpcStatus, Status, type Logger } from "@wrenn/shared";
import type { SandboxRecord, SandboxStatus } from "./sandbox.js";
import type { SandboxStore } from "./sandbox-store.js";
import type { SandboxEvent } from "../events/event-bus.js";
import type { Scheduler, SandboxHost, SandboxMetrics } from "./host-contract.js";
import { allowedFrom, settleFromHost } from "./transitions.js";
import type { Visibility } from "./visibility.js";
import { ownedBy } from "./ownership.js";

export interface LifecycleResult {
  sandbox: SandboxRecord;
  done: boolean;
}

export interface PauseResumeDeps {
  sandboxes: SandboxStore;
  scheduler: Scheduler;
  logger: Logger;
  /** Publishes an outcome and applies it (conditionally). */
  settle(event: SandboxEvent): Promise<SandboxRecord | null>;
  /** Keeps a background task until drain. */
  track(task: Promise<void>): void;
  notify(id: string): void;
  waitWhileIn(id: string, status: SandboxStatus, signal?: AbortSignal): Promise<SandboxRecord>;
  visibility: Visibility;
}

/** Each takes the caller's team first: another team's sandbox is NOT_FOUND, like an unknown id (ownership.ts). */
export interface PauseResume {
  pause(teamId: string, id: string, options?: { wait?: boolean; signal?: AbortSignal }): Promise<LifecycleResult>;
  resume(teamId: string, id: string, options?: { timeoutSeconds?: number; wait?: boolean; signal?: AbortSignal }): Promise<LifecycleResult>;
  setTimeout(teamId: string, id: string, timeoutSeconds: number): Promise<{ sandbox: SandboxRecord; expiresAt: Date | null }>;
  metrics(teamId: string, id: string, signal?: AbortSignal): Promise<SandboxMetrics>;
}

/** Host refusals that reach the caller as they are (when the caller waits). */
const passThrough = new Set<number>([Status.FAILED_PRECONDITION, Status.UNIMPLEMENTED]);

/**
 * Pause and resume, asynchronous like create and destroy: a conditional
 * update to pausing/resuming, an answer at once, the host call in the
 * background, the outcome published and applied. A failed pause or resume
 * asks the host what really exists before choosing the status, because a
 * failure half-way can leave the sandbox running, paused or gone.
 */
export function createPauseResume(deps: PauseResumeDeps): PauseResume {
  const { sandboxes, scheduler, logger, settle, track, notify, waitWhileIn, visibility } = deps;

  async function hostOf(record: SandboxRecord): Promise<SandboxHost> {
    if (!record.hostId) throw errors.failedPrecondition("sandbox has no host");
    return scheduler.hostFor(record.hostId);
  }

  async function hostState(host: SandboxHost, id: string): Promise<"running" | "paused" | "absent" | "unknown"> {
    try {
      const found = (await host.listSandboxes()).find((s) => s.sandboxId === id);
      return found ? found.state : "absent";
    } catch {
      return "unknown";
    }
  }

  async function runOperation(record: SandboxRecord, operation: "pause" | "resume", timeoutSeconds: number): Promise<unknown> {
    const log = logger.child({ sandboxId: record.id, hostId: record.hostId, operation });
    const ids = { sandboxId: record.id, hostId: record.hostId };
    let host: SandboxHost | undefined;
    try {
      host = await hostOf(record);
      if (operation === "pause") {
        await host.pauseSandbox(record.id);
        log.info("sandbox paused");
        await settle({ ...ids, type: "sandbox.paused", time: new Date().toISOString() });
      } else {
        const { expiresAt, resources } = await host.resumeSandbox(record.id, timeoutSeconds);
        log.info("sandbox resumed");
        await settle({
          ...ids, type: "sandbox.running", operation: "resume", time: new Date().toISOString(),
          ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
          ...(resources ? { resources } : {}),
        });
      }
      return undefined;
    } catch (err) {
      const reason = hasGrpcStatus(err) ? err.details : `the host agent failed to ${operation} the sandbox`;
      const state = host ? await hostState(host, record.id) : "unknown";
      // Host unreachable and state unknown: leave it transient; the reconciler settles it once the host answers.
      if (state === "unknown") {
        log.warn({ reason }, `${operation} failed; host state unknown, leaving it to the reconciler`);
        return err;
      }
      const { next, error } = settleFromHost(state, operation, reason);
      log.warn({ reason, hostState: state, next }, `sandbox ${operation} failed`);
      await settle({ ...ids, type: "sandbox.settled", operation, status: next, error, time: new Date().toISOString() });
      return err;
    }
  }

  const operable = async (teamId: string, id: string) => visibility.operable(ownedBy(teamId, await sandboxes.get(id)));

  async function start(
    teamId: string,
    id: string,
    operation: "pause" | "resume",
    options: { timeoutSeconds?: number; wait?: boolean; signal?: AbortSignal },
  ): Promise<LifecycleResult> {
    const [transient, target, from] =
      operation === "pause"
        ? (["pausing", "paused", allowedFrom.pausing] as const)
        : (["resuming", "running", allowedFrom.resuming] as const);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await operable(teamId, id);
      // Asking again for what is already happening (or done) is harmless.
      if (current.status === target) return { sandbox: current, done: true };
      if (current.status === transient) {
        if (!options.wait) return { sandbox: current, done: false };
        const settled = await waitWhileIn(id, transient, options.signal);
        return { sandbox: settled, done: settled.status !== transient };
      }
      if (!(from as readonly SandboxStatus[]).includes(current.status)) {
        const what = operation === "pause" ? "only a running sandbox can be paused" : "only a paused sandbox can be resumed";
        throw errors.failedPrecondition(`sandbox is ${current.status}; ${what}`);
      }
      const moved = await sandboxes.transition(id, from, transient);
      if (!moved) continue;
      notify(id);
      logger.info({ sandboxId: id }, `sandbox ${transient}`);
      // A fresh task, not tied to the caller: a cancelled caller must not leave the sandbox half-done.
      const task = runOperation(moved, operation, options.timeoutSeconds ?? 0);
      track(task.then(() => undefined).catch((err) => logger.error({ err, sandboxId: id }, `${operation} task failed`)));
      if (!options.wait) return { sandbox: moved, done: false };
      const failure = await task;
      const settled = await waitWhileIn(id, transient, options.signal);
      if (failure && hasGrpcStatus(failure) && passThrough.has(failure.code)) throw failure;
      return { sandbox: settled, done: settled.status !== transient };
    }
    throw errors.aborted("the sandbox's status kept changing; try again");
  }

  async function live(teamId: string, id: string, allowed: readonly SandboxStatus[], what: string): Promise<SandboxRecord> {
    const current = await operable(teamId, id);
    if (!allowed.includes(current.status)) throw errors.failedPrecondition(`sandbox is ${current.status}; ${what}`);
    return current;
  }

  return {
    pause: (teamId, id, options = {}) => start(teamId, id, "pause", options),
    resume: (teamId, id, options = {}) => start(teamId, id, "resume", options),

    async setTimeout(teamId, id, timeoutSeconds) {
      const current = await live(teamId, id, ["running", "paused"], "only a running or paused sandbox has a timeout");
      const { expiresAt } = await (await hostOf(current)).setSandboxTimeout(id, timeoutSeconds);
      const updated = (await sandboxes.setExpiresAt(id, expiresAt)) ?? current;
      return { sandbox: updated, expiresAt };
    },

    async metrics(teamId, id) {
      const current = await live(teamId, id, ["running", "paused"], "metrics are only known for a running or paused sandbox");
      return (await hostOf(current)).getSandboxMetrics(id);
    },
  };
}
