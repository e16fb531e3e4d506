import { Status } from "@wrenn/shared";
import { GatewayError } from "../gateway/gateway-error.js";
import type { ProxyAddress } from "./proxy-address.js";
import { TunnelRefusal, TunnelUnreachable } from "./tunnel.js";
import { notFound } from "./access.js";

/** Nothing listens on the port (after the retries): 502, naming the sandbox and the port. */
export function closedPort(address: ProxyAddress): GatewayError {
  return new GatewayError(Status.UNAVAILABLE, `sandbox ${address.wireId}: nothing is listening on port ${address.port}`, 502);
}

export function notRunning(address: ProxyAddress, status: string, hint = ""): GatewayError {
  return new GatewayError(Status.FAILED_PRECONDITION, `sandbox ${address.wireId} is ${status}${hint}`, 409);
}

/**
 * What the client gets for a failed dial or upstream request, and whether
 * the sandbox's agents should go (its host no longer knows it).
 */
export function proxyFailure(err: unknown, address: ProxyAddress): { error: unknown; gone: boolean } {
  if (err instanceof TunnelRefusal) {
    if (err.status === 404) return { error: notFound(address), gone: true };
    if (err.status === 409) return { error: notRunning(address, "not running", " (paused?)"), gone: false };
    if (err.status === 502) return { error: closedPort(address), gone: false };
    return { error: new GatewayError(Status.UNAVAILABLE, `the sandbox's port tunnel refused the connection (${err.status})`, 502), gone: false };
  }
  if (err instanceof TunnelUnreachable) return { error: new GatewayError(Status.UNAVAILABLE, "the sandbox's host agent is unreachable"), gone: false };
  if (err instanceof GatewayError || (err instanceof Error && "code" in err && typeof err.code === "number")) return { error: err, gone: false };
  // A connection to the sandbox's server that broke before its answer (reset, closed early).
  return { error: new GatewayError(Status.UNAVAILABLE, `sandbox ${address.wireId}: the server on port ${address.port} closed the connection without an answer`, 502), gone: false };
}
