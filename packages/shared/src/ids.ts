import { randomUUID } from "node:crypto";
import { errors } from "./errors.js";
import { quoteForMessage } from "./safe-text.js";

/**
 * Wire ids are a prefix and the UUID's 32 hex digits ("sb-0f3c…"); the
 * database keeps the UUID. Conversion happens only at the API edge.
 */
export type IdKind = "sb" | "tpl" | "usr" | "team" | "key" | "host" | "bld";

const hex32 = /^[0-9a-f]{32}$/;

export function newUuid(): string {
  return randomUUID();
}

export function toWireId(kind: IdKind, uuid: string): string {
  return `${kind}-${uuid.replace(/-/g, "").toLowerCase()}`;
}

/** Parses a wire id; a malformed one is INVALID_ARGUMENT naming the field. */
export function fromWireId(kind: IdKind, wire: string, field = "id"): string {
  const prefix = `${kind}-`;
  const rest = wire.startsWith(prefix) ? wire.slice(prefix.length).toLowerCase() : "";
  if (!hex32.test(rest)) {
    throw errors.invalidArgument(`${field} must look like "${prefix}" followed by 32 hex digits, got ${quoteForMessage(wire)}`);
  }
  return `${rest.slice(0, 8)}-${rest.slice(8, 12)}-${rest.slice(12, 16)}-${rest.slice(16, 20)}-${rest.slice(20)}`;
}

/**
 * The same id as one DNS-label-safe token with no dash ("sb0f3c…"): E2B's
 * proxy splits a host's first label `{port}-{id}` at its dashes, so its
 * SDKs need ids of letters and digits only. The E2B face shows ids so;
 * the native API answers in the dashed form and takes both.
 */
export function toDnsLabelId(kind: IdKind, uuid: string): string {
  return `${kind}${uuid.replace(/-/g, "").toLowerCase()}`;
}

/**
 * Parses a wire id in either form, "sb-<32 hex>" or "sb<32 hex>"
 * (toDnsLabelId's); a malformed one is INVALID_ARGUMENT naming the field.
 */
export function fromAnyWireId(kind: IdKind, wire: string, field = "id"): string {
  const dashless = wire.length === kind.length + 32 && wire.startsWith(kind) && hex32.test(wire.slice(kind.length).toLowerCase());
  if (!dashless) {
    try {
      return fromWireId(kind, wire, field);
    } catch {
      throw errors.invalidArgument(`${field} must look like "${kind}-" followed by 32 hex digits (or "${kind}" and 32 hex digits), got ${quoteForMessage(wire)}`);
    }
  }
  return fromWireId(kind, `${kind}-${wire.slice(kind.length)}`, field);
}

/** Either form of a wire id, in the canonical dashed form ("sb-…", lower case); undefined when it is neither. */
export function canonicalWireId(kind: IdKind, wire: string): string | undefined {
  try {
    return toWireId(kind, fromAnyWireId(kind, wire));
  } catch {
    return undefined;
  }
}

export function isWireId(kind: IdKind, wire: string): boolean {
  return wire.startsWith(`${kind}-`) && hex32.test(wire.slice(kind.length + 1));
}
