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

export function isWireId(kind: IdKind, wire: string): boolean {
  return wire.startsWith(`${kind}-`) && hex32.test(wire.slice(kind.length + 1));
}
