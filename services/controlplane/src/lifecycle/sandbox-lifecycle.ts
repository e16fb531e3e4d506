import { errors, hasGrpcStatus, newUuid, type Logger } from "@wrenn/shared";
import type { SandboxRecord } from "./sandbox.js";
import type { SandboxFilter, SandboxStore } from "./sandbox-store.js";
import type { EventBus, SandboxEvent } from "../events/event-bus.js";
import type { Scheduler } from "./host-contract.js";
import { applyOutcome } from "./apply-outcome.js";
import { allowedFrom } from "./transitions.js";
import { createStatusWatch, type StatusWatch } from "./status-watch.js";
import { createPauseResume, type PauseResume } from "./pause-resume.js";
import type { CreateSandboxInput } from "./validation.js";
import { createVisibility, type Visibility } from "./visibility.js";
import { ownedBy } from "./ownership.js";
import { newTrafficToken } from "./traffic-token.js";
import { newSandboxAccessToken } from "../identity/api-key-text.js";

export interface LifecycleOptions {
  sandboxes: SandboxStore;
  scheduler: Scheduler;
  bus: EventBus;
  logger: Logger;
  watch?: StatusWatch;
  /** How long the host agent may take to start a sandbox. */
  startTimeoutSeconds?: number;
  /** Upper bound for wait_ready / wait. */
  waitTimeoutMs?: number;
  /** What callers see of stopped sandboxes; by default they are kept an hour. */
  visibility?: Visibility;
}

/** An answer to a lifecycle call: `done` false means accepted, still in progress (HTTP 202). */
export interface LifecycleResult {
  sandbox: SandboxRecord;
  done: boolean;
}

/**
 * The public operations, each for a caller's team (`teamId`, the principal's):
 * a sandbox of another team, or of none, is NOT_FOUND with the same message
 * as an unknown id (ownership.ts). Internal callers (reconciler, outcome
 * consumer, host events) use the store, unscoped.
 */
export interface SandboxLifecycle extends PauseResume {
  /** Creates a sandbox of `teamId`; RESOURCE_EXHAUSTED over the team's quota. */
  create(teamId: string, input: CreateSandboxInput, options?: { wait?: boolean; signal?: AbortSignal }): Promise<LifecycleResult>;
  destroy(teamId: string, id: string, options?: { wait?: boolean; signal?: AbortSignal }): Promise<LifecycleResult>;
  /** NOT_FOUND when unknown, another team's (or stopped longer ago than the retention time). */
  get(teamId: string, id: string): Promise<SandboxRecord>;
  /**
   * The team's sandboxes that are not stopped, and those stopped within the
   * retention time, oldest first; with `metadata`, only those carrying every pair.
   */
  list(teamId: string, filter?: { metadata?: SandboxFilter["metadata"] }): Promise<SandboxRecord[]>;
  /** For operations on a sandbox: NOT_FOUND, or FAILED_PRECONDITION "sandbox is stopped". */
  operable(teamId: string, id: string): Promise<SandboxRecord>;
  /**
   * Unscoped, for a path that decides access itself (the port proxy: public
   * ports, a traffic token, or the owner's credential): the row if it is
   * readable (known, and not stopped longer ago than the retention time), else null.
   */
  find(id: string): Promise<SandboxRecord | null>;
  visibility: Visibility;
  /** Applies an outcome event (from the stream) to the database; idempotent. */
  applyEvent(event: SandboxEvent): Promise<void>;
  /** Wakes callers waiting on the sandbox after another component changed its row. */
  notify(id: string): void;
  /** Waits for background host calls started by this process. */
  drain(): Promise<void>;
}

/**
 * Asynchronous sandbox lifecycle. Each operation writes the intended status
 * with a conditional update, answers at once, and runs the host agent call in
 * the background. The outcome is published to the event bus and also applied
 * directly; both writes are conditional, so whichever lands first wins and
 * the other changes nothing.
 */
export function createSandboxLifecycle(options: LifecycleOptions): SandboxLifecycle {
  const { sandboxes, scheduler, bus, logger } = options;
  const watch = options.watch ?? createStatusWatch();
  const startTimeoutSeconds = options.startTimeoutSeconds ?? 120;
  const waitTimeoutMs = options.waitTimeoutMs ?? 60_000;
  const visibility = options.visibility ?? createVisibility();
  const background = new Set<Promise<void>>();

  function track(task: Promise<void>): void {
    background.add(task);
    void task.finally(() => background.delete(task));
  }

  /** Publishes and applies an outcome; a failing publish still applies locally. */
  async function settle(event: SandboxEvent): Promise<SandboxRecord | null> {
    try {
      await bus.publish(event);
    } catch (err) {
      logger.warn({ err: (err as Error).message, type: event.type, sandboxId: event.sandboxId }, "publishing outcome failed");
    }
    const updated = await applyOutcome(sandboxes, event);
    if (updated) watch.notify(updated.id);
    return updated;
  }

  async function runCreate(record: SandboxRecord, input: CreateSandboxInput, host: import("./host-contract.js").SandboxHost) {
    const log = logger.child({ sandboxId: record.id, hostId: record.hostId, templateId: record.templateId });
    const base = eventIds(record);
    let started: Awaited<ReturnType<typeof host.createSandbox>>;
    try {
      // envs go to the host and nowhere else: not the database, not the logs.
      started = await host.createSandbox({
        sandboxId: record.id,
        templateId: input.template?.hostTemplateId ?? input.templateId,
        envs: input.envs,
        startTimeoutSeconds,
        timeoutSeconds: input.timeoutSeconds,
        onExpiry: input.onExpiry,
        egress: input.egress,
      });
    } catch (err) {
      const message = userMessage(err, "the host agent failed to start the sandbox");
      log.warn({ reason: message }, "sandbox failed to start");
      await settle({ ...base, type: "sandbox.error", operation: "create", error: message, time: now() });
      return;
    }
    log.info({ resources: started.resources }, "sandbox running");
    const updated = await settle({
      ...base,
      type: "sandbox.running",
      time: now(),
      ...(started.expiresAt ? { expiresAt: started.expiresAt.toISOString() } : {}),
      ...(started.resources ? { resources: started.resources } : {}),
    });
    if (!updated) {
      // Destroy was requested while the host was still starting it: the host's
      // destroy may have come before the VM existed, so destroy it again.
      const current = await sandboxes.get(record.id);
      if (current && (current.status === "stopping" || current.status === "stopped")) {
        log.info({ status: current.status }, "sandbox was destroyed while starting; removing it from the host");
        await host.destroySandbox(record.id).catch((err) => log.warn({ err: (err as Error).message }, "late destroy failed"));
      }
    }
  }

  async function runDestroy(record: SandboxRecord) {
    const log = logger.child({ sandboxId: record.id, hostId: record.hostId });
    const base = eventIds(record);
    try {
      if (record.hostId) {
        const host = await scheduler.hostFor(record.hostId);
        const result = await host.destroySandbox(record.id);
        if (result === "not-found") log.info("host had no such sandbox; counting it as stopped");
      }
    } catch (err) {
      const message = userMessage(err, "the host agent failed to destroy the sandbox");
      log.warn({ reason: message }, "sandbox destroy failed");
      await settle({ ...base, type: "sandbox.error", operation: "destroy", error: message, time: now() });
      return;
    }
    log.info("sandbox stopped");
    await settle({ ...base, type: "sandbox.stopped", time: now() });
  }

  async function waitWhileIn(id: string, status: SandboxRecord["status"], signal?: AbortSignal): Promise<SandboxRecord> {
    const last = await watch.waitUntil(
      id,
      () => sandboxes.get(id),
      (row) => row === null || row.status !== status,
      { timeoutMs: waitTimeoutMs, signal },
    );
    if (!last) throw errors.notFound("sandbox not found");
    return last;
  }

  const pauseResume = createPauseResume({
    sandboxes, scheduler, logger, settle, track, notify: (id) => watch.notify(id), waitWhileIn, visibility,
  });

  return {
    ...pauseResume,
    visibility,
    async create(teamId, input, { wait = false, signal } = {}) {
      const placed = await scheduler.pickHost({ templateId: input.template?.hostTemplateId ?? input.templateId });
      // A placement whose row was never written is no placement.
      const record = await sandboxes
        .insertStarting({
          id: newUuid(),
          teamId,
          templateId: input.templateId,
          templateUuid: input.template?.uuid ?? null,
          hostId: placed.hostId,
          metadata: input.metadata,
          onExpiry: input.onExpiry,
          publicPorts: input.publicPorts,
          autoResume: input.autoResume,
          trafficToken: newTrafficToken(),
          accessToken: newSandboxAccessToken(),
        })
        .catch((err: unknown) => {
          placed.answered?.();
          throw err;
        });
      logger.info({ sandboxId: record.id, teamId, hostId: record.hostId, templateId: record.templateId }, "sandbox starting");
      // The background task must outlive the request: a cancelled caller does not cancel the create.
      track(
        runCreate(record, input, placed.host)
          .catch((err) => logger.error({ err, sandboxId: record.id }, "create task failed"))
          .finally(() => placed.answered?.()),
      );
      if (!wait) return { sandbox: record, done: false };
      const settled = await waitWhileIn(record.id, "starting", signal);
      return { sandbox: settled, done: settled.status !== "starting" };
    },

    async destroy(teamId, id, { wait = false, signal } = {}) {
      // A few rounds: the status may change between the read and the conditional update.
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = visibility.readable(ownedBy(teamId, await sandboxes.get(id)));
        // Destroying a stopped sandbox again is harmless: it is returned as it is.
        if (current.status === "stopped") return { sandbox: current, done: true };
        if (current.status === "stopping") {
          if (!wait) return { sandbox: current, done: false };
          const settled = await waitWhileIn(id, "stopping", signal);
          return { sandbox: settled, done: settled.status !== "stopping" };
        }
        const stopping = await sandboxes.transition(id, allowedFrom.stopping, "stopping");
        if (!stopping) continue;
        watch.notify(id);
        logger.info({ sandboxId: id, from: current.status }, "sandbox stopping");
        track(runDestroy(stopping).catch((err) => logger.error({ err, sandboxId: id }, "destroy task failed")));
        if (!wait) return { sandbox: stopping, done: false };
        const settled = await waitWhileIn(id, "stopping", signal);
        return { sandbox: settled, done: settled.status !== "stopping" };
      }
      throw errors.aborted("the sandbox's status kept changing; try again");
    },

    async get(teamId, id) {
      return visibility.readable(ownedBy(teamId, await sandboxes.get(id)));
    },

    list: (teamId, filter = {}) => sandboxes.listVisible(visibility.stoppedSince(), { teamId, metadata: filter.metadata }),

    async operable(teamId, id) {
      return visibility.operable(ownedBy(teamId, await sandboxes.get(id)));
    },

    async find(id) {
      const row = await sandboxes.get(id);
      return row && visibility.isReadable(row) ? row : null;
    },

    async applyEvent(event) {
      const updated = await applyOutcome(sandboxes, event);
      if (updated) watch.notify(updated.id);
    },

    notify(id) {
      watch.notify(id);
    },

    async drain() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
  };
}

function eventIds(record: SandboxRecord): { sandboxId: string; hostId: string | null } {
  return { sandboxId: record.id, hostId: record.hostId };
}

function now(): string {
  return new Date().toISOString();
}

/** A host error's message is meant for users when it carries a status; anything else is not shown. */
function userMessage(err: unknown, fallback: string): string {
  return hasGrpcStatus(err) && err.details ? err.details : fallback;
}
