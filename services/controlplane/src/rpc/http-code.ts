import type { CallContext } from "nice-grpc";

/** Response header the HTTP gateway turns into the HTTP status (e.g. 202 Accepted). */
export const httpCodeHeader = "x-http-code";

/** Marks an answer as accepted but not finished: the gateway answers HTTP 202. */
export function markAccepted(context: CallContext): void {
  context.header.set(httpCodeHeader, "202");
}
