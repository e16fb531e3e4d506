import type { ServerResponse } from "node:http";
import { Status } from "nice-grpc-common";
import { safeStatusMessage } from "@wrenn/shared";
import { GatewayError, resolveError } from "../../gateway/gateway-error.js";

/** An envd-route refusal before any public call (a bad query, a body of the wrong kind). */
export class EnvdRouteError extends GatewayError {}

export const badRequest = (message: string) => new EnvdRouteError(Status.INVALID_ARGUMENT, message, 400);

/**
 * envd's REST error, `{code, message}` with the status the SDK maps: 400
 * (InvalidArgumentError), 401 (AuthenticationError), 404 (FileNotFoundError),
 * 507 (NotEnoughSpaceError: a full disk, RESOURCE_EXHAUSTED "no space" from
 * envd); other statuses as the public API's own table. After the headers
 * went out the only honest answer is a cut connection.
 */
export function sendEnvdError(res: ServerResponse, err: unknown): { status: number; expected: boolean } {
  const resolved = resolveError(err);
  let status = resolved.httpStatus;
  if (resolved.code === Status.RESOURCE_EXHAUSTED && /no space|quota|disk/i.test(resolved.message)) status = 507;
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return { status, expected: resolved.expected };
  }
  const body = JSON.stringify({ code: status, message: safeStatusMessage(resolved.message) });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  return { status, expected: resolved.expected };
}
