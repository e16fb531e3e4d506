import type { ServerResponse } from "node:http";
import { Status } from "nice-grpc-common";
import { hasGrpcStatus, httpStatusFor, safeStatusMessage, statusName } from "@wrenn/shared";

/** An error the gateway itself answers with, before or instead of a gRPC call. */
export class GatewayError extends Error {
  constructor(
    readonly code: Status,
    message: string,
    /** Overrides the status table where HTTP has a better word (413, 405, 415). */
    readonly httpStatus: number = httpStatusFor(code),
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const gatewayErrors = {
  invalidArgument: (message: string) => new GatewayError(Status.INVALID_ARGUMENT, message),
  notFound: (message: string) => new GatewayError(Status.NOT_FOUND, message),
  tooLarge: (message: string) => new GatewayError(Status.RESOURCE_EXHAUSTED, message, 413),
  methodNotAllowed: (allow: string[]) =>
    new GatewayError(Status.UNIMPLEMENTED, "method not allowed on this path", 405, { allow: allow.join(", ") }),
};

export interface ErrorBody {
  code: string;
  message: string;
  details: unknown[];
}

/** Messages may quote request input: they leave well-formed, without controls, bounded (the servers' own rule). */
export function errorBody(code: Status, message: string): ErrorBody {
  return { code: statusName(code), message: safeStatusMessage(message), details: [] };
}

/** Writes a JSON error response unless headers are already out (then the caller handles it). */
export function sendError(res: ServerResponse, code: Status, message: string, httpStatus = httpStatusFor(code), headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(errorBody(code, message));
  res.writeHead(httpStatus, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function sendJson(res: ServerResponse, httpStatus: number, value: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(value);
  res.writeHead(httpStatus, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

export interface ResolvedError {
  code: Status;
  message: string;
  httpStatus: number;
  headers: Record<string, string>;
  /** True when the error came from the gateway or backend as intended, not a bug. */
  expected: boolean;
}

/** grpc-js's own transport failures mention addresses: never show those to callers. */
const transportFailure = /No connection established|ECONNREFUSED|Connection dropped|Name resolution failed|Received RST_STREAM|Failed to connect/i;

/** Maps anything thrown while serving a request to what the caller may see. */
export function resolveError(err: unknown): ResolvedError {
  if (err instanceof GatewayError) {
    return { code: err.code, message: err.message, httpStatus: err.httpStatus, headers: err.headers, expected: true };
  }
  if (hasGrpcStatus(err)) {
    const code = err.code;
    const message = transportFailure.test(err.details) ? "backend unavailable" : err.details;
    // RFC 9110 §11.6.1: a 401 names the scheme the client should use.
    const headers: Record<string, string> = code === Status.UNAUTHENTICATED ? { "www-authenticate": 'Bearer realm="wrenn"' } : {};
    Object.assign(headers, retryAfterHeader(err));
    return { code, message, httpStatus: httpStatusFor(code), headers, expected: true };
  }
  return { code: Status.INTERNAL, message: "internal error", httpStatus: 500, headers: {}, expected: false };
}

/**
 * A refusal's `retry-after` trailer (whole seconds; the create rate limit
 * sets it, rpc/http-code.ts) becomes the HTTP Retry-After header of its 429.
 */
function retryAfterHeader(err: object): Record<string, string> {
  const value = (err as { metadata?: { get?(key: string): unknown[] } }).metadata?.get?.("retry-after")[0];
  return typeof value === "string" && /^\d{1,6}$/.test(value) ? { "retry-after": value } : {};
}
