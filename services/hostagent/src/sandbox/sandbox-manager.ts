import { errors, isWireId, sandboxIdMetadataKey, type Logger } from "@wrenn/shared";
import type { Client } from "@grpc/grpc-js";
import { SandboxStartError, type CheckpointInfo, type PortReach, type RecoveredSandboxes, type Runtime, type StopMode, type TemplateDefaults, type TemplateInfo } from "../runtime/runtime.js";
import type { EnvdConnection } from "../envd/envd-connection.js";
import { parseBaseSize } from "../runtime/base-sizes.js";
import { adoptSandboxes } from "./sandbox-adoption.js";
import { createSandboxContext, type SandboxManagerOptions } from "./sandbox-context.js";
import { createSandbox } from "./sandbox-creation.js";
import type { SandboxEvents } from "./sandbox-events.js";
import type { CreateSandboxInput, SandboxInfo, SandboxMetrics } from "./sandbox-info.js";
import { sandboxMetrics } from "./sandbox-metrics.js";
import { pauseLocked, resumeLocked } from "./sandbox-pause.js";
import { checkpointLocked, readCheckpointRecord } from "./sandbox-checkpoint.js";
import { validateTtl } from "./sandbox-validation.js";
import { startTtlReaper } from "./ttl-reaper.js";

/**
 * The sandbox layer: validation, per-sandbox locking, the envd handshake
 * (health, AfterRestore, Init with a fresh identity and access token) on top
 * of whichever runtime boots the sandbox, pause/resume, templates, TTLs,
 * metrics, the envd connections the relay uses, and supervision. This file
 * puts the parts together; each lives in its own file beside it.
 */
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
  /**
   * Builds: quiesces envd, has the runtime save the running sandbox into
   * `dir` (with `dir/checkpoint.json`: the envd token and template a restore
   * needs), and lets it run on (envd AfterRestore).
   */
  checkpoint(sandboxId: string, dir: string, signal: AbortSignal): Promise<CheckpointInfo>;
  /** Builds: template `templateId` made from a checkpoint (see Runtime.templateFromCheckpoint). */
  templateFromCheckpoint(checkpointDir: string, templateId: string, defaults: TemplateDefaults, signal: AbortSignal): Promise<TemplateInfo>;
  /** Grows a running sandbox's disk device to `diskMiB`; the guest's filesystem is the caller's to grow. */
  growDisk(sandboxId: string, diskMiB: number): Promise<void>;
  /** The agent's own connection to a running sandbox's envd (internal ones included), for typed calls. */
  envd(sandboxId: string): EnvdConnection;
  /** Sandboxes callers see: internal ones are left out. */
  list(): SandboxInfo[];
  /** The relay's client for a running sandbox; INVALID_ARGUMENT / NOT_FOUND otherwise. */
  envdClient(sandboxId: string | undefined): Client;
  /**
   * Once at start, with what the runtime recovered: takes the live ones back
   * (token and TTL from sandbox.json, envd health checked) and reports the
   * rest as lost.
   */
  adopt(recovered: RecoveredSandboxes): Promise<{ adopted: string[]; lost: string[] }>;
  /** What the port tunnel needs to know of a sandbox: undefined when unknown (or its id is malformed). */
  portReach(sandboxId: string): PortReachState | undefined;
  /** Called when a sandbox's ports become unreachable (destroyed, dead, pausing); returns an unsubscribe function. */
  onUnreachable(listener: (sandboxId: string) => void): () => void;
  /** "destroy" (default): every sandbox is removed; "keep": they stay running for the next start (the agent passes WRENN_SANDBOXES_ON_STOP). */
  close(mode?: StopMode): Promise<void>;
}

/** "starting" covers a create or an adoption in progress; "paused" a pause under way too. */
export type PortReachState = { state: "running"; ports?: PortReach } | { state: "paused" | "starting" };

/** A snapshot of a sandbox into a template may take long under TCG (RAM written, restored, written again). */
const createTemplateTimeoutMs = 10 * 60_000;

export function createSandboxManager(runtime: Runtime, logger: Logger, options: SandboxManagerOptions = { defaultTtlSeconds: 0, reaperIntervalMs: 1000 }): SandboxManager {
  const ctx = createSandboxContext(runtime, logger, options);
  const { entries, events, locked, known } = ctx;

  runtime.onExit((exit) => {
    const entry = entries.get(exit.sandboxId);
    if (entry === undefined) return;
    if (entry.starting) {
      entry.starting.abort(new SandboxStartError("sandbox process exited during start", exit));
      return;
    }
    ctx.forget(exit.sandboxId);
    logger.warn({ sandboxId: exit.sandboxId, code: exit.code, signal: exit.signal, internal: entry.internal }, "sandbox is gone");
    // The agent's own sandboxes are no caller's business; their owner (a build) sees the exit itself.
    if (!entry.internal) events.publish("exited", exit.sandboxId, exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? "unknown"}`);
  });

  const stopReaper = startTtlReaper(ctx);

  return {
    events,
    create: (input, signal) => createSandbox(ctx, input, signal),
    destroy: (sandboxId) => locked(sandboxId, () => ctx.destroyLocked(sandboxId)),
    pause: (sandboxId) =>
      locked(sandboxId, async (entry) => {
        await pauseLocked(ctx, entry);
        return { ...entry.info };
      }),
    resume(sandboxId, ttlSeconds) {
      validateTtl(ttlSeconds ?? 0);
      return locked(sandboxId, async (entry) => {
        await resumeLocked(ctx, entry, ttlSeconds);
        return { ...entry.info };
      });
    },
    setTimeout(sandboxId, seconds) {
      validateTtl(seconds);
      return locked(sandboxId, async (entry) => {
        entry.ttlSeconds = seconds;
        if (entry.info.state === "running") ctx.armTtl(entry);
        await ctx.save(entry);
        return { ...entry.info };
      });
    },
    metrics: (sandboxId) => locked(sandboxId, (entry) => sandboxMetrics(ctx, entry)),
    createTemplate(sandboxId, templateId, pauseSource) {
      const caps = runtime.capabilities;
      if (!caps.templates) throw errors.failedPrecondition(caps.templatesUnavailableReason ?? "this runtime cannot make templates");
      if (runtime.hasTemplate(templateId)) throw errors.alreadyExists(`template "${templateId}" already exists`);
      return locked(sandboxId, async (entry) => {
        const wasRunning = entry.info.state === "running";
        if (wasRunning) await pauseLocked(ctx, entry);
        try {
          const template = await runtime.createTemplate(sandboxId, templateId, { envdToken: entry.token, quiesced: true, signal: AbortSignal.timeout(createTemplateTimeoutMs) });
          logger.info({ sandboxId, templateId }, "template created from sandbox");
          return { template, source: { ...entry.info } };
        } finally {
          // The source keeps running unless asked to stay paused, also when the snapshot failed.
          if (wasRunning && !pauseSource && entries.get(sandboxId) === entry) await resumeLocked(ctx, entry);
        }
      }).then(({ template }) => ({ template, source: { ...known(sandboxId).info } }));
    },
    deleteTemplate: (templateId) => runtime.deleteTemplate(templateId),
    checkpoint: (sandboxId, dir, signal) => locked(sandboxId, (entry) => checkpointLocked(ctx, entry, dir, signal)),
    async templateFromCheckpoint(checkpointDir, templateId, defaults, signal) {
      const record = await readCheckpointRecord(checkpointDir);
      const template = await runtime.templateFromCheckpoint(checkpointDir, templateId, { envdToken: record.envdToken, quiesced: true, defaults, signal });
      logger.info({ templateId, diskBytes: template.diskBytes }, "template created from checkpoint");
      const { envdToken: _secret, ...rest } = template;
      return rest;
    },
    growDisk: (sandboxId, diskMiB) =>
      locked(sandboxId, async (entry) => {
        await runtime.growDisk(sandboxId, diskMiB);
        entry.info.resources = { ...entry.info.resources, diskMiB };
        await ctx.save(entry);
      }),
    envd(sandboxId) {
      const connection = entries.get(sandboxId)?.connection;
      if (connection === undefined) throw errors.notFound(`sandbox ${sandboxId} not found`);
      return connection;
    },
    templates: () => listedTemplates(runtime),
    list: () => [...entries.values()].filter((e) => !e.creating && !e.internal).map((e) => ({ ...e.info })),
    envdClient(sandboxId) {
      if (sandboxId === undefined || sandboxId === "") {
        throw errors.invalidArgument(`metadata ${sandboxIdMetadataKey} is required to reach a sandbox`);
      }
      if (!isWireId("sb", sandboxId)) {
        throw errors.invalidArgument(`metadata ${sandboxIdMetadataKey} must be "sb-" followed by 32 lowercase hex digits`);
      }
      const entry = entries.get(sandboxId);
      // The agent's own sandboxes (builds) are never relayed to: to callers they do not exist.
      if (entry === undefined || entry.creating || entry.internal) throw errors.notFound(`sandbox ${sandboxId} not found`);
      if (entry.info.state === "paused") throw errors.failedPrecondition(`sandbox ${sandboxId} is paused; resume it first`);
      if (entry.connection === undefined) throw errors.unavailable(`sandbox ${sandboxId} is between states; retry`);
      return entry.connection.relayClient;
    },
    adopt: (recovered) => adoptSandboxes(recovered, ctx),
    portReach(sandboxId) {
      const entry = isWireId("sb", sandboxId) ? entries.get(sandboxId) : undefined;
      if (entry === undefined || entry.internal) return undefined;
      if (entry.creating) return { state: "starting" };
      if (entry.info.state === "paused" || entry.pausing) return { state: "paused" };
      return { state: "running", ports: entry.ports };
    },
    onUnreachable: (listener) => ctx.onUnreachable(listener),
    async close(mode = "destroy") {
      stopReaper();
      for (const entry of entries.values()) entry.connection?.close();
      entries.clear();
      await runtime.close(mode);
    },
  };
}

/**
 * Every template a create can name now: those whose files exist, and the
 * listed base sizes not made yet (made on first use), with the size their id
 * names. The envd token never leaves the agent.
 */
function listedTemplates(runtime: Runtime): TemplateInfo[] {
  const made = runtime.templateInfo().map(({ envdToken: _secret, ...rest }) => rest);
  const known = new Set(made.map((t) => t.id));
  for (const id of runtime.templates()) {
    if (known.has(id)) continue;
    const size = parseBaseSize(id);
    made.push({ id, createdAt: new Date(0), vcpus: size?.vcpus ?? 0, memoryMiB: size?.memoryMiB ?? 0, diskMiB: 0, defaults: { envs: {} }, diskBytes: 0, users: 0, quiesced: false });
  }
  return made;
}
