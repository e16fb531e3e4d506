import { errors, isWireId, ServerError, type Logger } from "@wrenn/shared";
import type { Client } from "@grpc/grpc-js";
import { SandboxStartError, type Runtime } from "../vmm/runtime.js";
import { createEnvdConnection, type EnvdConnection } from "./envd-connection.js";
import { createKeyedLock } from "./keyed-lock.js";

/**
 * The sandbox layer: validation, per-sandbox locking, the envd handshake
 * (health, then Init) on top of whichever runtime boots the sandbox, the
 * envd connections the relay uses, and supervision of sandboxes that die.
 */
export interface SandboxInfo {
  sandboxId: string;
  templateId: string;
  startedAt: Date;
}

export interface CreateSandboxInput {
  sandboxId: string;
  templateId: string;
  envs: Record<string, string>;
  /** 0 means the default. */
  startTimeoutSeconds: number;
}

export interface SandboxManager {
  create(input: CreateSandboxInput, signal: AbortSignal): Promise<SandboxInfo>;
  destroy(sandboxId: string): Promise<void>;
  list(): SandboxInfo[];
  /** The relay's client for a running sandbox; INVALID_ARGUMENT / NOT_FOUND otherwise. */
  envdClient(sandboxId: string | undefined): Client;
  close(): Promise<void>;
}

interface Entry {
  info: SandboxInfo;
  running: boolean;
  connection?: EnvdConnection;
  /** Aborts an in-progress create (its sandbox died while starting). */
  starting?: AbortController;
}

export const defaultStartTimeoutSeconds = 30;
const maxStartTimeoutSeconds = 600;
/** Init has its own deadline so a slow boot can't starve it (see notes/lessons.md). */
const initTimeoutMs = 10_000;

export function createSandboxManager(runtime: Runtime, logger: Logger): SandboxManager {
  const entries = new Map<string, Entry>();
  const lock = createKeyedLock();

  runtime.onExit((exit) => {
    const entry = entries.get(exit.sandboxId);
    if (entry === undefined) return;
    if (entry.starting) {
      entry.starting.abort(new SandboxStartError("sandbox process exited during start", exit));
      return;
    }
    entries.delete(exit.sandboxId);
    entry.connection?.close();
    logger.warn({ sandboxId: exit.sandboxId, code: exit.code, signal: exit.signal }, "sandbox is gone");
  });

  function validateId(sandboxId: string): void {
    if (!isWireId("sb", sandboxId)) {
      throw errors.invalidArgument(`sandbox_id must be "sb-" followed by 32 lowercase hex digits, got "${sandboxId.slice(0, 64)}"`);
    }
  }

  async function create(input: CreateSandboxInput, signal: AbortSignal): Promise<SandboxInfo> {
    const { sandboxId, templateId } = input;
    validateId(sandboxId);
    if (!runtime.templates().includes(templateId)) throw errors.notFound(`template "${templateId}" not found`);
    const timeoutSeconds = input.startTimeoutSeconds || defaultStartTimeoutSeconds;
    if (timeoutSeconds > maxStartTimeoutSeconds) {
      throw errors.invalidArgument(`start_timeout_seconds must be at most ${maxStartTimeoutSeconds}`);
    }
    if (entries.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already exists`);

    return lock.run(sandboxId, async () => {
      if (entries.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already exists`);
      const starting = new AbortController();
      const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
      const bootSignal = AbortSignal.any([signal, timeout, starting.signal]);
      const entry: Entry = { info: { sandboxId, templateId, startedAt: new Date() }, running: false, starting };
      entries.set(sandboxId, entry);
      let booted = false;
      try {
        const handle = await runtime.create({ sandboxId, templateId, hostname: sandboxId }, bootSignal);
        booted = true;
        entry.connection = createEnvdConnection(handle.envdTarget);
        await entry.connection.waitUntilServing(bootSignal);
        await entry.connection.init(
          { sandboxId, templateId, hostname: sandboxId, defaultUser: "root", envs: input.envs, nowUnixMs: Date.now() },
          AbortSignal.any([signal, starting.signal, AbortSignal.timeout(initTimeoutMs)]),
        );
        entry.info = { sandboxId, templateId, startedAt: handle.startedAt };
        entry.running = true;
        entry.starting = undefined;
        logger.info({ sandboxId, templateId }, "sandbox created");
        return entry.info;
      } catch (err) {
        entries.delete(sandboxId);
        entry.connection?.close();
        if (booted) await runtime.destroy(sandboxId).catch((e) => logger.error({ err: e, sandboxId }, "destroy after failed create failed"));
        throw createFailure(err, { signal, timeout, starting: starting.signal, timeoutSeconds, sandboxId, logger });
      }
    });
  }

  async function destroy(sandboxId: string): Promise<void> {
    validateId(sandboxId);
    if (!entries.has(sandboxId)) throw errors.notFound(`sandbox ${sandboxId} not found`);
    await lock.run(sandboxId, async () => {
      const entry = entries.get(sandboxId);
      if (entry === undefined) throw errors.notFound(`sandbox ${sandboxId} not found`);
      // Removed first so new relay calls get NOT_FOUND; closing the channel cancels calls in flight.
      entries.delete(sandboxId);
      entry.connection?.close();
      await runtime.destroy(sandboxId);
      logger.info({ sandboxId }, "sandbox destroyed");
    });
  }

  return {
    create,
    destroy,
    list: () => [...entries.values()].filter((e) => e.running).map((e) => e.info),
    envdClient(sandboxId) {
      if (sandboxId === undefined || sandboxId === "") {
        throw errors.invalidArgument("metadata wrenn-sandbox-id is required to reach a sandbox");
      }
      if (!isWireId("sb", sandboxId)) {
        throw errors.invalidArgument(`metadata wrenn-sandbox-id must be "sb-" followed by 32 lowercase hex digits`);
      }
      const entry = entries.get(sandboxId);
      if (entry === undefined || !entry.running || entry.connection === undefined) {
        throw errors.notFound(`sandbox ${sandboxId} not found`);
      }
      return entry.connection.relayClient;
    },
    async close() {
      for (const entry of entries.values()) entry.connection?.close();
      entries.clear();
      await runtime.close();
    },
  };
}

interface FailureContext {
  signal: AbortSignal;
  timeout: AbortSignal;
  starting: AbortSignal;
  timeoutSeconds: number;
  sandboxId: string;
  logger: Logger;
}

/** Maps why a create failed to a status the caller can act on, without internals. */
function createFailure(err: unknown, ctx: FailureContext): unknown {
  const exit = err instanceof SandboxStartError ? err.exit : ctx.starting.reason instanceof SandboxStartError ? ctx.starting.reason.exit : undefined;
  if (exit !== undefined || err instanceof SandboxStartError) {
    ctx.logger.error({ sandboxId: ctx.sandboxId, code: exit?.code, signal: exit?.signal, outputTail: exit?.outputTail.slice(-2000) }, "sandbox failed to start");
    const how = exit?.code != null ? `exit code ${exit.code}` : `signal ${exit?.signal ?? "unknown"}`;
    return errors.internal(`sandbox ${ctx.sandboxId} failed to start: its process exited (${how})`);
  }
  if (ctx.signal.aborted) return err; // the caller went away: nice-grpc reports CANCELLED
  // Whatever failed after the start timeout fired failed because of it.
  if (ctx.timeout.aborted) return errors.deadlineExceeded(`sandbox ${ctx.sandboxId} did not become ready within ${ctx.timeoutSeconds} s`);
  if (err instanceof ServerError) return err; // our own typed errors (ALREADY_EXISTS, NOT_FOUND, …)
  ctx.logger.error({ err, sandboxId: ctx.sandboxId }, "sandbox start failed");
  return errors.internal(`sandbox ${ctx.sandboxId} failed to start`);
}
