import { ClientError, Status } from "nice-grpc";
import type { Logger } from "@wrenn/shared";
import { SandboxEventType } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { HostEventKind, SandboxEvent } from "../events/event-bus.js";
import type { HostConnection } from "./host-connection.js";
import { sandboxIdFromHost } from "./host-agent-adapter.js";

export interface HostEventWatcherOptions {
  /** UUID of the host's row. */
  hostId: string;
  connection: HostConnection;
  logger: Logger;
  /** Publishes the event for the consumer group to apply; throws when it could not. */
  publish(event: SandboxEvent): Promise<void>;
  /** Called when the stream is (re)opened after having failed: the host may have missed changes. */
  onReconnect?(): void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface HostEventWatcher {
  close(): Promise<void>;
}

/** How long a host that seems back gets to answer a probe. */
const probeTimeoutMs = 5_000;

const kinds: Partial<Record<SandboxEventType, HostEventKind>> = {
  [SandboxEventType.SANDBOX_EVENT_TYPE_AUTO_PAUSED]: "auto-paused",
  [SandboxEventType.SANDBOX_EVENT_TYPE_TTL_KILLED]: "ttl-killed",
  [SandboxEventType.SANDBOX_EVENT_TYPE_EXITED]: "exited",
  [SandboxEventType.SANDBOX_EVENT_TYPE_LOST]: "lost",
  [SandboxEventType.SANDBOX_EVENT_TYPE_RESUME_FAILED]: "resume-failed",
};

/**
 * Holds one WatchEvents stream to a host agent for as long as the
 * controlplane runs, reopening it with exponential backoff when it breaks.
 * Every (re)open asks for the host's recent events, so nothing that happened
 * while the stream was down is lost; replays are harmless because applying
 * an event is conditional on the status and on the row not having changed
 * since the event happened.
 */
export function startHostEventWatcher(options: HostEventWatcherOptions): HostEventWatcher {
  const { connection, logger } = options;
  const minBackoff = options.minBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 15_000;
  const controller = new AbortController();
  const log = logger.child({ hostId: options.hostId, address: connection.address });

  const loop = (async () => {
    let backoff = minBackoff;
    let failed = false;
    while (!controller.signal.aborted) {
      const openedAt = Date.now();
      try {
        if (failed) {
          // A host that is down or restarting does not count as back until it
          // answers: only then is the stream reopened and the host reconciled
          // (a reconcile against an unreachable host settles nothing).
          await connection.sandboxes.getHostInfo({}, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(probeTimeoutMs)]) });
        }
        const stream = connection.sandboxes.watchEvents({ includeRecent: true }, { signal: controller.signal });
        if (failed) {
          log.info("host answers again; event stream reopened");
          options.onReconnect?.();
          failed = false;
        }
        for await (const { event } of stream) {
          backoff = minBackoff;
          const kind = event ? kinds[event.type] : undefined;
          // A sandbox that is not one of ours (another controlplane's, a test's) is not ours to settle.
          const sandboxId = event ? sandboxIdFromHost(event.sandboxId) : null;
          if (!event || !kind || !sandboxId) continue;
          const published: SandboxEvent = {
            type: "sandbox.host-event",
            sandboxId,
            hostId: options.hostId,
            time: (event.at ?? new Date()).toISOString(),
            hostEvent: kind,
            detail: event.detail,
          };
          log.info({ sandboxId, event: kind, detail: event.detail }, "host event");
          await options.publish(published);
        }
        if (controller.signal.aborted) break;
        log.warn("host event stream ended; reopening");
      } catch (err) {
        if (controller.signal.aborted) break;
        if (!failed) {
          const reason = err instanceof ClientError ? `${Status[err.code]}: ${err.details}` : (err as Error).message;
          log.warn({ reason }, "host event stream failed; reconnecting with backoff");
        }
      }
      failed = true;
      // A stream that stayed up a while earned a fresh, short backoff.
      if (Date.now() - openedAt > maxBackoff) backoff = minBackoff;
      await sleep(backoff, controller.signal);
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  })();

  return {
    async close() {
      controller.abort();
      await loop;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
