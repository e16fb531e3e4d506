import type { ServerResponse } from "node:http";
import { Status } from "nice-grpc-common";
import type { Logger } from "@wrenn/shared";
import { GatewayError, resolveError, sendJson } from "../../gateway/gateway-error.js";

/**
 * An answer the face gives on its own terms: the HTTP status E2B uses where
 * it differs from the native table (409 for "already paused"), with the
 * message the SDKs show.
 */
export class E2bError extends GatewayError {
  constructor(httpStatus: number, message: string, code: Status = Status.FAILED_PRECONDITION) {
    super(code, message, httpStatus);
  }
}

export const e2bErrors = {
  badRequest: (message: string) => new E2bError(400, message, Status.INVALID_ARGUMENT),
  sandboxNotFound: (id: string) => new E2bError(404, `sandbox ${JSON.stringify(id.slice(0, 80))} not found`, Status.NOT_FOUND),
  conflict: (message: string) => new E2bError(409, message),
};

/**
 * Any failure as the SDKs parse it: `{code, message}` with `code` the HTTP
 * status (JS reads `code` from the body for kill and pause; Python requires
 * both fields). The native statuses carry over (401, 404, 429 with
 * Retry-After from the create limit's trailer, 400 for FAILED_PRECONDITION);
 * `overrides` maps a gRPC status to E2B's word for it on one route.
 */
export function sendE2bError(res: ServerResponse, err: unknown, logger: Logger, overrides: Partial<Record<Status, number>> = {}): void {
  const resolved = resolveError(err);
  if (!resolved.expected) logger.error({ err }, "e2b api request failed");
  if (res.headersSent || res.destroyed) return;
  const status = err instanceof E2bError ? resolved.httpStatus : (overrides[resolved.code] ?? resolved.httpStatus);
  sendJson(res, status, { code: status, message: resolved.message }, resolved.headers);
}
