import { randomBytes } from "node:crypto";
import { ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";
import type { Logger } from "./logger.js";
import { maxStatusMessageBytes, safeStatusMessage } from "./safe-text.js";

/** Codes that mean "the server failed", not "the request was wrong": each one's cause is logged. */
export const serverFaultCodes: ReadonlySet<number> = new Set([GrpcStatus.UNKNOWN, GrpcStatus.INTERNAL, GrpcStatus.DATA_LOSS]);

/** A short reference that ties an INTERNAL answer to the log line with its cause. */
export function newErrorRef(): string {
  return randomBytes(4).toString("hex");
}

const refPattern = /\(ref [0-9a-f]{8}\)/;

/** True when the message already names the log line with its cause (see the error middleware). */
export function hasErrorRef(message: string): boolean {
  return refPattern.test(message);
}

/**
 * The last step of every call's status, below nice-grpc and its middleware:
 * a grpc-js server interceptor. Here, and only here, every status message a
 * handler, a middleware or nice-grpc produces is made safe to send (see
 * safe-text.ts). A server fault whose cause nobody logged is logged here.
 * (The few statuses grpc-js makes itself bypass interceptors; their messages
 * are fixed ASCII, and request-decoding.ts keeps the one that was INTERNAL
 * for a caller's mistake from happening.)
 */
export function statusGuard(logger: Logger): ServerInterceptor {
  return (method, call) =>
    new ServerInterceptingCall(call, {
      sendStatus(status, next) {
        next(guardStatus(status, method.path, logger));
      },
    });
}

/** What grpc-js hands an interceptor's sendStatus (its own type is not exported). */
export type OutgoingStatus = Pick<StatusObject, "code" | "details"> & { metadata?: StatusObject["metadata"] | null };

export function guardStatus(status: OutgoingStatus, path: string, logger: Logger): OutgoingStatus {
  const code = Number.isInteger(status.code) && status.code in GrpcStatus ? status.code : GrpcStatus.UNKNOWN;
  let details = safeStatusMessage(status.details);
  if (serverFaultCodes.has(code) && !hasErrorRef(details)) {
    const ref = newErrorRef();
    logger.error({ method: path, code: GrpcStatus[code], details, ref }, "server fault answered below the error middleware");
    details = `${safeStatusMessage(details, maxStatusMessageBytes - 20)} (ref ${ref})`;
  }
  return { ...status, code, details };
}
