import { EventEmitter } from "node:events";
import { errors, type Logger } from "@wrenn/shared";
import type { Runtime } from "../runtime/runtime.js";
import { createKeyedLock, type KeyedLock } from "./keyed-lock.js";
import { recordOf, type Entry } from "./sandbox-entry.js";
import { createSandboxEvents, type SandboxEvents } from "./sandbox-events.js";
import { writeSandboxRecord } from "./sandbox-record.js";
import { validateSandboxId } from "./sandbox-validation.js";

export interface SandboxManagerOptions {
  /** TTL for sandboxes that ask for none; 0 = none. */
  defaultTtlSeconds: number;
  /** How often the reaper looks for expired sandboxes. */
  reaperIntervalMs: number;
  /** DATA_DIR/sandboxes: each sandbox's sandbox.json (token, TTL, state) lives in its directory. Unset: nothing persisted. */
  sandboxesDir?: string;
}

/**
 * What the sandbox manager's parts (creation, pause and resume, TTLs,
 * metrics, adoption) share: the entries, the lock around each, and the few
 * ways an entry changes.
 */
export interface SandboxContext {
  readonly entries: Map<string, Entry>;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly events: SandboxEvents;
  readonly lock: KeyedLock;
  readonly options: SandboxManagerOptions;
  /** CPU time at the previous metrics call of each running sandbox, to report the cores it uses. */
  readonly cpuSamples: Map<string, { at: number; cpuSeconds: number }>;
  /** The entry of a sandbox that exists (creates in progress do not); INVALID_ARGUMENT / NOT_FOUND otherwise. */
  known(sandboxId: string): Entry;
  /** Runs `task` under the sandbox's lock with the entry re-read inside it. */
  locked<T>(sandboxId: string, task: (entry: Entry) => Promise<T>): Promise<T>;
  /** sandbox.json, rewritten atomically after every change a restarted agent must know. */
  save(entry: Entry): Promise<void>;
  /** Drops the entry and closes its envd connection (which cancels relay calls in flight). */
  forget(sandboxId: string): void;
  /** Starts the entry's TTL from now (none when its TTL is 0). */
  armTtl(entry: Entry): void;
  /** Under the sandbox's lock: removes it from the layer, then from the runtime. */
  destroyLocked(sandboxId: string): Promise<void>;
  /** Tells listeners (the port tunnel) that the sandbox's ports are gone for now: destroyed, dead or pausing. */
  unreachable(sandboxId: string): void;
  onUnreachable(listener: (sandboxId: string) => void): () => void;
}

export function createSandboxContext(runtime: Runtime, logger: Logger, options: SandboxManagerOptions): SandboxContext {
  const entries = new Map<string, Entry>();
  const lock = createKeyedLock();
  const cpuSamples = new Map<string, { at: number; cpuSeconds: number }>();
  const reach = new EventEmitter();
  reach.setMaxListeners(0);
  const unreachable = (sandboxId: string) => reach.emit("unreachable", sandboxId);

  function known(sandboxId: string): Entry {
    validateSandboxId(sandboxId);
    const entry = entries.get(sandboxId);
    if (entry === undefined || entry.creating) throw errors.notFound(`sandbox ${sandboxId} not found`);
    return entry;
  }

  function forget(sandboxId: string): void {
    const entry = entries.get(sandboxId);
    entries.delete(sandboxId);
    cpuSamples.delete(sandboxId);
    entry?.connection?.close();
    if (entry) unreachable(sandboxId);
  }

  return {
    entries,
    runtime,
    logger,
    events: createSandboxEvents(),
    lock,
    options,
    cpuSamples,
    known,
    locked(sandboxId, task) {
      known(sandboxId);
      return lock.run(sandboxId, () => task(known(sandboxId)));
    },
    async save(entry) {
      if (!options.sandboxesDir) return;
      await writeSandboxRecord(options.sandboxesDir, recordOf(entry)).catch((err: unknown) =>
        logger.error({ err, sandboxId: entry.info.sandboxId }, "could not record the sandbox's state; a restart may lose it"),
      );
    },
    forget,
    armTtl(entry) {
      entry.info.expiresAt = entry.ttlSeconds > 0 ? new Date(Date.now() + entry.ttlSeconds * 1000) : undefined;
    },
    async destroyLocked(sandboxId) {
      // Removed first so new relay calls get NOT_FOUND; closing the channel cancels calls in flight.
      forget(sandboxId);
      await runtime.destroy(sandboxId);
      logger.info({ sandboxId }, "sandbox destroyed");
    },
    unreachable,
    onUnreachable(listener) {
      reach.on("unreachable", listener);
      return () => reach.off("unreachable", listener);
    },
  };
}
