import { ServerError, Status } from "nice-grpc-common";

export { ServerError, Status };

/**
 * Domain code throws these; the error middleware passes their status through
 * unchanged, and turns every other error into INTERNAL without internals.
 */
export const errors = {
  invalidArgument: (message: string) => new ServerError(Status.INVALID_ARGUMENT, message),
  notFound: (message: string) => new ServerError(Status.NOT_FOUND, message),
  alreadyExists: (message: string) => new ServerError(Status.ALREADY_EXISTS, message),
  failedPrecondition: (message: string) => new ServerError(Status.FAILED_PRECONDITION, message),
  permissionDenied: (message: string) => new ServerError(Status.PERMISSION_DENIED, message),
  unauthenticated: (message: string) => new ServerError(Status.UNAUTHENTICATED, message),
  resourceExhausted: (message: string) => new ServerError(Status.RESOURCE_EXHAUSTED, message),
  unavailable: (message: string) => new ServerError(Status.UNAVAILABLE, message),
  deadlineExceeded: (message: string) => new ServerError(Status.DEADLINE_EXCEEDED, message),
  unimplemented: (message: string) => new ServerError(Status.UNIMPLEMENTED, message),
  aborted: (message: string) => new ServerError(Status.ABORTED, message),
  internal: (message: string) => new ServerError(Status.INTERNAL, message),
};

/** True for errors that carry a gRPC status meant for the caller (ours or a peer's). */
export function hasGrpcStatus(err: unknown): err is { code: Status; details: string } {
  return (
    typeof err === "object" &&
    err !== null &&
    typeof (err as { code?: unknown }).code === "number" &&
    typeof (err as { details?: unknown }).details === "string" &&
    (err as { code: number }).code in Status
  );
}
