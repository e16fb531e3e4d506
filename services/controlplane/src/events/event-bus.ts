import { fromWireId, isWireId } from "@wrenn/shared";
import { isUuid } from "../lifecycle/sandbox.js";

/**
 * Lifecycle outcomes travel as events so that any controlplane can apply
 * them to the database: the instance that ran the host call writes its own
 * outcome directly, and the consumer group is the fallback writer when that
 * instance died in between.
 */
export type SandboxEventType =
  | "sandbox.running"
  | "sandbox.error"
  | "sandbox.stopped"
  | "sandbox.paused"
  /** A pause or resume failed; `status` is what the host said exists. */
  | "sandbox.settled"
  /** Something the host agent reported on its own (`hostEvent`). */
  | "sandbox.host-event";

export const hostEventKinds = ["auto-paused", "ttl-killed", "exited", "lost", "resume-failed"] as const;
export type HostEventKind = (typeof hostEventKinds)[number];
const settledStatuses = ["running", "paused", "error"] as const;

export interface SandboxEvent {
  type: SandboxEventType;
  /**
   * UUID of the sandbox, like everywhere inside the controlplane (wire ids
   * "sb-…" exist only in the public API and toward host agents).
   */
  sandboxId: string;
  /** UUID of the host's row, when known. */
  hostId: string | null;
  /** ISO-8601 time the outcome happened. */
  time: string;
  /** Why, for sandbox.error. */
  error?: string;
  /**
   * Which operation the outcome belongs to (decides the status it may apply
   * to): create/destroy for sandbox.error, resume for sandbox.running after a
   * resume, pause/resume for sandbox.settled.
   */
  operation?: "create" | "destroy" | "pause" | "resume";
  /** For sandbox.settled. */
  status?: (typeof settledStatuses)[number];
  /** For sandbox.host-event. */
  hostEvent?: HostEventKind;
  /** For sandbox.host-event: the host's detail (exit code, …). */
  detail?: string;
  /** When the host said the sandbox's timeout runs out (ISO-8601). */
  expiresAt?: string;
  /** For sandbox.running: what the host gave the sandbox. */
  resources?: { vcpus: number; memoryMib: number; diskMib: number };
}

export interface EventMeta {
  /** Stream entry id. */
  id: string;
  /** True when this entry was delivered before and not acknowledged. */
  redelivered: boolean;
}

/** Resolving acknowledges the event; throwing leaves it for redelivery. */
export type EventHandler = (event: SandboxEvent, meta: EventMeta) => Promise<void>;

export interface Subscription {
  close(): Promise<void>;
}

export interface EventBus {
  /** Appends the event; resolves with its id once it is stored. */
  publish(event: SandboxEvent): Promise<string>;
  /**
   * Delivers each event published after the group was first created to one
   * consumer of the group, at least once: an event whose handler failed, or
   * whose consumer went away before acknowledging it, is delivered again
   * after the bus's redelivery delay. Resolves once the group exists.
   */
  consume(group: string, consumer: string, handler: EventHandler): Promise<Subscription>;
  close(): Promise<void>;
}

export interface EventBusOptions {
  /** An unacknowledged event is claimed by another delivery after this long. */
  redeliverAfterMs?: number;
}

export const defaultRedeliverAfterMs = 30_000;

const eventTypes = new Set<string>([
  "sandbox.running", "sandbox.error", "sandbox.stopped", "sandbox.paused", "sandbox.settled", "sandbox.host-event",
]);
const operations = new Set<string>(["create", "destroy", "pause", "resume"]);

/**
 * An id as a UUID, the form events carry. Controlplanes from before that
 * published wire ids ("sb-…", "host-…"), and their entries can still be in
 * the stream (a rolling upgrade, a stream kept across an upgrade): they are
 * read too, so their outcomes are not lost. Null for anything else.
 */
function decodeId(kind: "sb" | "host", value: unknown): string | null {
  if (typeof value !== "string") return null;
  if (isUuid(value)) return value.toLowerCase();
  return isWireId(kind, value) ? fromWireId(kind, value) : null;
}

/** Parses an event from the wire (either id form); returns null for anything malformed, an unreadable sandbox id included. */
export function parseSandboxEvent(json: string): SandboxEvent | null {
  try {
    const value = JSON.parse(json) as Partial<SandboxEvent>;
    if (typeof value !== "object" || value === null) return null;
    if (typeof value.type !== "string" || !eventTypes.has(value.type)) return null;
    const sandboxId = decodeId("sb", value.sandboxId);
    if (!sandboxId || typeof value.time !== "string") return null;
    return {
      type: value.type,
      sandboxId,
      hostId: decodeId("host", value.hostId),
      time: value.time,
      ...(typeof value.error === "string" ? { error: value.error } : {}),
      ...(typeof value.operation === "string" && operations.has(value.operation) ? { operation: value.operation } : {}),
      ...(settledStatuses.includes(value.status as never) ? { status: value.status } : {}),
      ...(hostEventKinds.includes(value.hostEvent as never) ? { hostEvent: value.hostEvent } : {}),
      ...(typeof value.detail === "string" ? { detail: value.detail } : {}),
      ...(typeof value.expiresAt === "string" ? { expiresAt: value.expiresAt } : {}),
      ...(isResources(value.resources) ? { resources: { vcpus: value.resources.vcpus, memoryMib: value.resources.memoryMib, diskMib: value.resources.diskMib } } : {}),
    };
  } catch {
    return null;
  }
}

function isResources(value: unknown): value is NonNullable<SandboxEvent["resources"]> {
  const r = value as Record<string, unknown> | null | undefined;
  const positive = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n > 0 && n <= 0x7fffffff;
  return typeof r === "object" && r !== null && positive(r.vcpus) && positive(r.memoryMib) && positive(r.diskMib);
}
