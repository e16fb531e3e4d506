import { errors } from "@wrenn/shared";
import type { HookedRequest } from "../extensions.js";

/**
 * What a sandbox access token may call: the services that act inside one
 * sandbox, and the raw HTTP routes built on them (file transfer, terminal
 * and process streams), which call those services again with the caller's
 * headers, where the relay resolver checks the sandbox is the token's own.
 */
const reachableServices = ["wrenn.api.v1.ProcessService", "wrenn.api.v1.FilesystemService", "wrenn.api.v1.PortService"];

/**
 * HTTP paths: the raw routes (files, pty, processes/{selector}/stream) and,
 * for the gateway's early check of a transcoded call it cannot decode, the
 * HTTP forms of those services' methods (files/…, processes/…, ports/…).
 */
const reachableRoute = /^\/v1\/sandboxes\/[^/]+\/(files|pty|processes|ports)(\/.*)?$/;

/** The headers the token comes in: Wrenn's own, and the one the E2B SDKs send to envd. */
export const accessTokenHeaders = ["x-wrenn-access-token", "x-access-token"] as const;

export function sandboxTokenReaches(request: Pick<HookedRequest, "protocol" | "path">): boolean {
  if (request.protocol === "grpc") return reachableServices.some((service) => request.path.startsWith(`/${service}/`));
  return reachableRoute.test(request.path);
}

export const outOfReach = "a sandbox access token reaches only its sandbox's processes, files and ports (ProcessService, FilesystemService, PortService); this call needs an API key";

/** The access token the request carries, or undefined; both headers present must agree. */
export function accessTokenOf(metadata: HookedRequest["metadata"]): string | undefined {
  const sent = accessTokenHeaders
    .map((name) => metadata.get(name))
    .filter((value): value is string => typeof value === "string")
    .map((value) => value.trim());
  if (sent.length === 2 && sent[0] !== sent[1]) throw errors.unauthenticated("x-wrenn-access-token and x-access-token carry different tokens");
  return sent[0];
}
