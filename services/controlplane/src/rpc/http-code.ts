import type { CallContext } from "nice-grpc";
import { httpCodeMetadataKey } from "@wrenn/shared";

/** Marks an answer as accepted but not finished: the gateway answers HTTP 202. */
export function markAccepted(context: CallContext): void {
  context.header.set(httpCodeMetadataKey, "202");
}
