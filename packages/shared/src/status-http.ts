import { Status } from "nice-grpc-common";

/** The one table from gRPC status to HTTP status, used by the gateway and WebSockets. */
const httpByStatus: Record<Status, number> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 499,
  [Status.UNKNOWN]: 500,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.RESOURCE_EXHAUSTED]: 429,
  [Status.FAILED_PRECONDITION]: 400,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.INTERNAL]: 500,
  [Status.UNAVAILABLE]: 503,
  [Status.DATA_LOSS]: 500,
  [Status.UNAUTHENTICATED]: 401,
};

export function httpStatusFor(code: Status): number {
  return httpByStatus[code] ?? 500;
}

/** "NOT_FOUND" for Status.NOT_FOUND: the `code` field of JSON error bodies. */
export function statusName(code: Status): string {
  return Status[code] ?? "UNKNOWN";
}
