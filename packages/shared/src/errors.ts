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

/** How grpc-js words a status in an error's message: "14 UNAVAILABLE: details". */
const statusInMessage = /^(\d+) ([A-Z_]+): ([\s\S]*)$/;

/**
 * The gRPC status an error carries: its own code and details (ServerError,
 * ClientError, a grpc-js ServiceError), or else the status worded at the start
 * of its message, for errors that were rebuilt from a grpc-js message alone.
 */
export function grpcStatusOf(err: unknown): { code: Status; details: string } | undefined {
  if (hasGrpcStatus(err)) return { code: err.code, details: err.details };
  if (!(err instanceof Error)) return undefined;
  const match = statusInMessage.exec(err.message);
  if (!match) return undefined;
  const code = Number(match[1]);
  // The name must be the code's own: "14 NOT_FOUND: …" is not a status line.
  return Status[code] === match[2] ? { code: code as Status, details: match[3] ?? "" } : undefined;
}
