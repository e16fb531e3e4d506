import type { EgressPolicy } from "../network/egress-policy.js";
import { randomBytes } from "node:crypto";
import { errors, isWireId, quoteForMessage, type Logger } from "@wrenn/shared";
import type { Client } from "@grpc/grpc-js";
import { SandboxStartError, type RecoveredSandboxes, type Runtime, type SandboxResources, type SandboxStats, type StopMode, type TemplateInfo } from "../runtime/runtime.js";
import { writeSandboxRecord } from "./sandbox-record.js";
import { recordOf, type Entry } from "./sandbox-entry.js";
import { adoptSandboxes } from "./sandbox-adoption.js";
import { createFailure } from "./create-failure.js";
import { createEnvdConnection } from "../envd/envd-connection.js";
import { createKeyedLock } from "./keyed-lock.js";
import { createSandboxEvents, type SandboxEvents } from "./sandbox-events.js";

/**
 * The sandbox layer: validation, per-sandbox locking, the envd handshake
 * (health, AfterRestore, Init with a fresh identity and access token) on top
 * of whichever runtime boots the sandbox, pause/resume, templates, TTLs,
 * metrics, the envd connections the relay uses, and supervision.
 */
export type ExpiryAction = "kill" | "pause";
export type SandboxStateName = "running" | "paused";

export interface SandboxInfo {
  sandboxId: string;
  templateId: string;
  startedAt: Date;
  state: SandboxStateName;
  /** Unset: no TTL (or paused). */
  expiresAt?: Date;
  onExpiry: ExpiryAction;
  resources: SandboxResources;
}

export interface CreateSandboxInput {
  sandboxId: string;
  templateId: string;
  envs: Record<string, string>;
  /** 0 means the default. */
  startTimeoutSeconds: number;
  /** 0 means the agent's default TTL. */
  timeoutSeconds?: number;
  onExpiry?: ExpiryAction;
  egress?: EgressPolicy;
}

export interface SandboxMetrics extends SandboxStats {
  cpuCores: number;
  state: SandboxStateName;
}

export interface SandboxManagerOptions {
  /** TTL for sandboxes that ask for none; 0 = none. */
  defaultTtlSeconds: number;
  /** How often the reaper looks for expired sandboxes. */
  reaperIntervalMs: number;
  /** DATA_DIR/sandboxes: each sandbox's sandbox.json (token, TTL, state) lives in its directory. Unset: nothing persisted. */
  sandboxesDir?: string;
}

export interface SandboxManager {
  readonly events: SandboxEvents;
  create(input: CreateSandboxInput, signal: AbortSignal): Promise<SandboxInfo>;
  destroy(sandboxId: string): Promise<void>;
  pause(sandboxId: string): Promise<SandboxInfo>;
  resume(sandboxId: string, timeoutSeconds?: number): Promise<SandboxInfo>;
  setTimeout(sandboxId: string, timeoutSeconds: number): Promise<SandboxInfo>;
  metrics(sandboxId: string): Promise<SandboxMetrics>;
  createTemplate(sandboxId: string, templateId: string, pauseSource: boolean): Promise<{ template: TemplateInfo; source: SandboxInfo }>;
  deleteTemplate(templateId: string): Promise<void>;
  templates(): TemplateInfo[];
  list(): SandboxInfo[];
  /** The relay's client for a running sandbox; INVALID_ARGUMENT / NOT_FOUND otherwise. */
  envdClient(sandboxId: string | undefined): Client;
  /**
   * Once at start, with what the runtime recovered: takes the live ones back
   * (token and TTL from sandbox.json, envd health checked) and reports the
   * rest as lost.
   */
  adopt(recovered: RecoveredSandboxes): Promise<{ adopted: string[]; lost: string[] }>;
  /** "destroy" (default): every sandbox is removed; "keep": they stay running for the next start (the agent passes WRENN_SANDBOXES_ON_STOP). */
  close(mode?: StopMode): Promise<void>;
}


export const defaultStartTimeoutSeconds = 30;
const maxStartTimeoutSeconds = 600;
const maxTtlSeconds = 30 * 24 * 3600;
/** Each envd step has its own deadline so a slow one cannot starve the next (see notes/lessons.md). */
const stepTimeoutMs = { health: 30_000, afterRestore: 10_000, init: 10_000, prepare: 10_000, adoptHealth: 15_000 };
/** A resume is never tied to its caller: a cancelled caller must not leave a half-restored VM. */
const resumeTimeoutMs = 120_000;

export function createSandboxManager(runtime: Runtime, logger: Logger, options: SandboxManagerOptions = { defaultTtlSeconds: 0, reaperIntervalMs: 1000 }): SandboxManager {
  const entries = new Map<string, Entry>();
  const lock = createKeyedLock();
  const events = createSandboxEvents();
  const cpuSamples = new Map<string, { at: number; cpuSeconds: number }>();

  runtime.onExit((exit) => {
    const entry = entries.get(exit.sandboxId);
    if (entry === undefined) return;
    if (entry.starting) {
      entry.starting.abort(new SandboxStartError("sandbox process exited during start", exit));
      return;
    }
    forget(exit.sandboxId);
    logger.warn({ sandboxId: exit.sandboxId, code: exit.code, signal: exit.signal }, "sandbox is gone");
    events.publish("exited", exit.sandboxId, exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? "unknown"}`);
  });

  function forget(sandboxId: string): void {
    const entry = entries.get(sandboxId);
    entries.delete(sandboxId);
    cpuSamples.delete(sandboxId);
    entry?.connection?.close();
  }

  function validateId(sandboxId: string): void {
    if (!isWireId("sb", sandboxId)) {
      throw errors.invalidArgument(`sandbox_id must be "sb-" followed by 32 lowercase hex digits, got ${quoteForMessage(sandboxId)}`);
    }
  }

  function validateTtl(seconds: number): void {
    if (seconds > maxTtlSeconds) throw errors.invalidArgument(`timeout_seconds must be at most ${maxTtlSeconds}`);
  }

  function known(sandboxId: string): Entry {
    validateId(sandboxId);
    const entry = entries.get(sandboxId);
    if (entry === undefined || entry.creating) throw errors.notFound(`sandbox ${sandboxId} not found`);
    return entry;
  }

  /** Runs `task` under the sandbox's lock with the entry re-read inside it. */
  function locked<T>(sandboxId: string, task: (entry: Entry) => Promise<T>): Promise<T> {
    known(sandboxId);
    return lock.run(sandboxId, () => task(known(sandboxId)));
  }

  function armTtl(entry: Entry): void {
    entry.info.expiresAt = entry.ttlSeconds > 0 ? new Date(Date.now() + entry.ttlSeconds * 1000) : undefined;
  }

  /** sandbox.json, rewritten atomically after every change a restarted agent must know. */
  async function save(entry: Entry): Promise<void> {
    if (!options.sandboxesDir) return;
    await writeSandboxRecord(options.sandboxesDir, recordOf(entry)).catch((err: unknown) =>
      logger.error({ err, sandboxId: entry.info.sandboxId }, "could not record the sandbox's state; a restart may lose it"),
    );
  }

  /**
   * After a restore from a snapshot (create from template, resume): envd
   * answers, drops what predates the snapshot, then takes its fresh identity.
   */
  async function handshake(entry: Entry, target: string, presentToken: string | undefined, afterRestore: boolean, signal: AbortSignal, healthSignal = signal): Promise<void> {
    entry.connection?.close();
    const connection = createEnvdConnection(target, presentToken);
    entry.connection = connection;
    entry.envdTarget = target;
    const t0 = performance.now();
    await connection.waitUntilServing(AbortSignal.any([healthSignal, AbortSignal.timeout(stepTimeoutMs.health)]));
    const t1 = performance.now();
    if (afterRestore) await connection.afterRestore(AbortSignal.any([signal, AbortSignal.timeout(stepTimeoutMs.afterRestore)]));
    const t2 = performance.now();
    const { sandboxId, templateId } = entry.info;
    await connection.init(
      { sandboxId, templateId, hostname: sandboxId, defaultUser: "root", envs: entry.envs, nowUnixMs: Date.now(), accessToken: entry.token, entropy: randomBytes(64) },
      AbortSignal.any([signal, AbortSignal.timeout(stepTimeoutMs.init)]),
    );
    const ms = (a: number, b: number) => Math.round(b - a);
    logger.debug({ sandboxId, healthMs: ms(t0, t1), afterRestoreMs: ms(t1, t2), initMs: ms(t2, performance.now()) }, "envd handshake");
  }

  async function create(input: CreateSandboxInput, signal: AbortSignal): Promise<SandboxInfo> {
    const { sandboxId, templateId } = input;
    validateId(sandboxId);
    if (!runtime.templates().includes(templateId)) throw errors.notFound(`template "${templateId}" not found`);
    const timeoutSeconds = input.startTimeoutSeconds || defaultStartTimeoutSeconds;
    if (timeoutSeconds > maxStartTimeoutSeconds) {
      throw errors.invalidArgument(`start_timeout_seconds must be at most ${maxStartTimeoutSeconds}`);
    }
    validateTtl(input.timeoutSeconds ?? 0);
    if (entries.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already exists`);

    return lock.run(sandboxId, async () => {
      if (entries.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already exists`);
      const starting = new AbortController();
      const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
      const bootSignal = AbortSignal.any([signal, timeout, starting.signal]);
      const entry: Entry = {
        info: { sandboxId, templateId, startedAt: new Date(), state: "running", onExpiry: input.onExpiry ?? "kill", resources: { vcpus: 0, memoryMiB: 0, diskMiB: 0 } },
        envs: input.envs,
        egress: input.egress,
        token: randomBytes(24).toString("base64url"),
        ttlSeconds: input.timeoutSeconds || options.defaultTtlSeconds,
        starting,
        creating: true,
      };
      entries.set(sandboxId, entry);
      let booted = false;
      try {
        const template = runtime.templateInfo().find((t) => t.id === templateId);
        const handle = await runtime.create({ sandboxId, templateId, hostname: sandboxId, egress: input.egress }, bootSignal);
        booted = true;
        await handshake(entry, handle.envdTarget, template?.envdToken, template?.quiesced ?? false, AbortSignal.any([signal, starting.signal]), bootSignal);
        entry.info.startedAt = handle.startedAt;
        entry.info.resources = handle.resources;
        entry.starting = undefined;
        armTtl(entry);
        await save(entry);
        entry.creating = false;
        logger.info({ sandboxId, templateId }, "sandbox created");
        return { ...entry.info };
      } catch (err) {
        forget(sandboxId);
        if (booted) await runtime.destroy(sandboxId).catch((e) => logger.error({ err: e, sandboxId }, "destroy after failed create failed"));
        throw createFailure(err, { signal, timeout, starting: starting.signal, timeoutSeconds, sandboxId, logger });
      }
    });
  }

  async function destroyLocked(sandboxId: string): Promise<void> {
    // Removed first so new relay calls get NOT_FOUND; closing the channel cancels calls in flight.
    forget(sandboxId);
    await runtime.destroy(sandboxId);
    logger.info({ sandboxId }, "sandbox destroyed");
  }

  async function pauseLocked(entry: Entry): Promise<void> {
    const { sandboxId } = entry.info;
    if (entry.info.state === "paused") throw errors.failedPrecondition(`sandbox ${sandboxId} is already paused`);
    const caps = runtime.capabilities;
    if (caps.pause === "none") throw errors.failedPrecondition(caps.pauseUnavailableReason ?? "this runtime cannot pause sandboxes");
    if (caps.pause === "snapshot") {
      // envd stops its pollers and closes idle connections, so the snapshot catches it quiet.
      try {
        await entry.connection?.prepareSnapshot(AbortSignal.timeout(stepTimeoutMs.prepare));
      } catch (err) {
        // Nothing was paused: undo a partial quiesce so the sandbox keeps working.
        await entry.connection?.afterRestore(AbortSignal.timeout(stepTimeoutMs.afterRestore)).catch(() => {});
        logger.error({ err, sandboxId }, "envd did not prepare for the snapshot; pause refused");
        throw errors.unavailable(`sandbox ${sandboxId} could not be prepared for a pause; it keeps running, retry later`);
      }
      // Our side closes too, so the FIN reaches the guest before it stops.
      entry.connection?.close();
      entry.connection = undefined;
    }
    try {
      await runtime.pause(sandboxId);
    } catch (err) {
      // Ask the runtime what really exists before choosing the state.
      if (runtime.list().some((h) => h.sandboxId === sandboxId)) {
        if (caps.pause === "snapshot" && entry.envdTarget) {
          await handshake(entry, entry.envdTarget, entry.token, true, AbortSignal.timeout(resumeTimeoutMs)).catch(() => {});
        }
        logger.error({ err, sandboxId }, "pause failed; the sandbox keeps running");
        throw errors.internal(`pause of sandbox ${sandboxId} failed; it is still running`);
      }
      forget(sandboxId);
      await runtime.destroy(sandboxId).catch(() => {});
      logger.error({ err, sandboxId }, "pause failed and the sandbox is gone");
      throw errors.internal(`pause of sandbox ${sandboxId} failed and the sandbox was lost`);
    }
    entry.info.state = "paused";
    entry.info.expiresAt = undefined;
    cpuSamples.delete(sandboxId);
    await save(entry);
  }

  async function resumeLocked(entry: Entry, ttlSeconds?: number): Promise<void> {
    const { sandboxId } = entry.info;
    if (entry.info.state !== "paused") throw errors.failedPrecondition(`sandbox ${sandboxId} is not paused`);
    const signal = AbortSignal.timeout(resumeTimeoutMs);
    try {
      const handle = await runtime.resume(sandboxId, signal);
      if (runtime.capabilities.pause === "snapshot") await handshake(entry, handle.envdTarget, entry.token, true, signal);
    } catch (err) {
      // A failed resume must not leave a frozen VM that claims to run: destroy it and say so.
      forget(sandboxId);
      await runtime.destroy(sandboxId).catch(() => {});
      logger.error({ err, sandboxId }, "resume failed; sandbox destroyed");
      events.publish("resume-failed", sandboxId, "resume failed; the sandbox was destroyed");
      throw errors.internal(`resume of sandbox ${sandboxId} failed; the sandbox was destroyed`);
    }
    entry.info.state = "running";
    if (ttlSeconds) entry.ttlSeconds = ttlSeconds;
    armTtl(entry);
    await save(entry);
  }

  async function reap(): Promise<void> {
    const now = Date.now();
    for (const entry of [...entries.values()]) {
      const { sandboxId, expiresAt } = entry.info;
      if (entry.creating || entry.info.state !== "running" || !expiresAt || expiresAt.getTime() > now) continue;
      await lock
        .run(sandboxId, async () => {
          const current = entries.get(sandboxId);
          // Re-check under the lock: a resume or SetSandboxTimeout may have moved the deadline.
          if (current !== entry || entry.info.state !== "running" || !entry.info.expiresAt || entry.info.expiresAt.getTime() > Date.now()) return;
          if (entry.info.onExpiry === "pause" && runtime.capabilities.pause !== "none") {
            await pauseLocked(entry);
            logger.info({ sandboxId }, "TTL expired: sandbox paused");
            events.publish("auto-paused", sandboxId, "TTL expired");
          } else {
            await destroyLocked(sandboxId);
            logger.info({ sandboxId }, "TTL expired: sandbox killed");
            events.publish("ttl-killed", sandboxId, "TTL expired");
          }
        })
        .catch((err: unknown) => logger.error({ err, sandboxId }, "TTL expiry handling failed"));
    }
  }

  let reaping = false;
  const reaper = setInterval(() => {
    if (reaping) return;
    reaping = true;
    void reap().finally(() => (reaping = false));
  }, options.reaperIntervalMs);
  reaper.unref();

  return {
    events,
    create,
    destroy: (sandboxId) => locked(sandboxId, () => destroyLocked(sandboxId)),
    pause: (sandboxId) =>
      locked(sandboxId, async (entry) => {
        await pauseLocked(entry);
        return { ...entry.info };
      }),
    resume(sandboxId, ttlSeconds) {
      validateTtl(ttlSeconds ?? 0);
      return locked(sandboxId, async (entry) => {
        await resumeLocked(entry, ttlSeconds);
        return { ...entry.info };
      });
    },
    setTimeout(sandboxId, seconds) {
      validateTtl(seconds);
      return locked(sandboxId, async (entry) => {
        entry.ttlSeconds = seconds;
        if (entry.info.state === "running") armTtl(entry);
        await save(entry);
        return { ...entry.info };
      });
    },
    metrics: (sandboxId) =>
      locked(sandboxId, async (entry) => {
        const stats = await runtime.stats(sandboxId);
        // CPU use in cores since the previous call (or over a short sample on the first).
        let previous = cpuSamples.get(sandboxId);
        if (!previous && entry.info.state === "running") {
          previous = { at: performance.now(), cpuSeconds: stats.cpuSeconds };
          await new Promise((r) => setTimeout(r, 250));
          Object.assign(stats, { cpuSeconds: (await runtime.stats(sandboxId)).cpuSeconds });
        }
        const now = performance.now();
        const cpuCores = previous && now > previous.at ? Math.max(0, (stats.cpuSeconds - previous.cpuSeconds) / ((now - previous.at) / 1000)) : 0;
        if (entry.info.state === "running") cpuSamples.set(sandboxId, { at: now, cpuSeconds: stats.cpuSeconds });
        return { ...stats, cpuCores, state: entry.info.state };
      }),
    createTemplate(sandboxId, templateId, pauseSource) {
      const caps = runtime.capabilities;
      if (!caps.templates) throw errors.failedPrecondition(caps.templatesUnavailableReason ?? "this runtime cannot make templates");
      if (runtime.templates().includes(templateId)) throw errors.alreadyExists(`template "${templateId}" already exists`);
      return locked(sandboxId, async (entry) => {
        const wasRunning = entry.info.state === "running";
        if (wasRunning) await pauseLocked(entry);
        try {
          const template = await runtime.createTemplate(sandboxId, templateId, { envdToken: entry.token, quiesced: true, signal: AbortSignal.timeout(10 * 60_000) });
          logger.info({ sandboxId, templateId }, "template created from sandbox");
          return { template, source: { ...entry.info } };
        } finally {
          // The source keeps running unless asked to stay paused, also when the snapshot failed.
          if (wasRunning && !pauseSource && entries.get(sandboxId) === entry) await resumeLocked(entry);
        }
      }).then(({ template }) => ({ template, source: { ...known(sandboxId).info } }));
    },
    deleteTemplate: (templateId) => runtime.deleteTemplate(templateId),
    templates: () => runtime.templateInfo().map(({ envdToken: _secret, ...rest }) => rest),
    list: () => [...entries.values()].filter((e) => !e.creating).map((e) => ({ ...e.info })),
    envdClient(sandboxId) {
      if (sandboxId === undefined || sandboxId === "") {
        throw errors.invalidArgument("metadata wrenn-sandbox-id is required to reach a sandbox");
      }
      if (!isWireId("sb", sandboxId)) {
        throw errors.invalidArgument(`metadata wrenn-sandbox-id must be "sb-" followed by 32 lowercase hex digits`);
      }
      const entry = entries.get(sandboxId);
      if (entry === undefined || entry.creating) throw errors.notFound(`sandbox ${sandboxId} not found`);
      if (entry.info.state === "paused") throw errors.failedPrecondition(`sandbox ${sandboxId} is paused; resume it first`);
      if (entry.connection === undefined) throw errors.unavailable(`sandbox ${sandboxId} is between states; retry`);
      return entry.connection.relayClient;
    },
    adopt: (recovered) =>
      adoptSandboxes(recovered, { entries, runtime, logger, events, sandboxesDir: options.sandboxesDir, healthTimeoutMs: stepTimeoutMs.adoptHealth, save, forget, armTtl }),
    async close(mode = "destroy") {
      clearInterval(reaper);
      for (const entry of entries.values()) entry.connection?.close();
      entries.clear();
      await runtime.close(mode);
    },
  };
}
