import type { CallContext } from "nice-grpc";
import { httpCodeMetadataKey } from "@wrenn/shared";

/** Marks an answer as accepted but not finished: the gateway answers HTTP 202. */
export function markAccepted(context: CallContext): void {
  context.header.set(httpCodeMetadataKey, "202");
}

/**
 * Trailer of a RESOURCE_EXHAUSTED answer saying, in whole seconds, when to
 * try again; the gateway copies it into the HTTP `Retry-After` header of its 429.
 */
export const retryAfterMetadataKey = "retry-after";

export function setRetryAfter(context: CallContext, seconds: number): void {
  context.trailer.set(retryAfterMetadataKey, String(Math.max(1, Math.ceil(seconds))));
}
