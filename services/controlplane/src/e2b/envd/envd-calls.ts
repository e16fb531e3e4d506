import type { IncomingMessage } from "node:http";
import { createContextKey } from "@connectrpc/connect";
import { Metadata } from "nice-grpc-common";
import type { ProcessServiceClient } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { FilesystemServiceClient } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import { clientAddress } from "../../gateway/grpc-backend.js";

/** The public API, as the E2B envd face calls it: over the controlplane's own gRPC port, on a channel of the face's own. */
export interface PublicEnvdClients {
  process: ProcessServiceClient;
  filesystem: FilesystemServiceClient;
}

/**
 * One E2B envd request, as the face's handlers use it: which sandbox (the
 * wire id the public API takes, whichever form the SDK named it by) and the
 * metadata that carries the caller's credential. The handlers call the
 * public ProcessService and FilesystemService with it, so authentication,
 * the sandbox-scoped token's reach, tenancy, state checks, limits and the
 * audit log are the native API's own.
 */
export interface EnvdCaller {
  /** "sb-…", as the public API takes it. */
  sandboxId: string;
  /** x-wrenn-access-token (the SDK's X-Access-Token) and x-wrenn-client-ip. */
  metadata: Metadata;
  /** The user the SDK asked for (`Authorization: Basic base64("<user>:")` on RPCs, `?username=` on /files); unset: the sandbox's default user. */
  user?: string;
}

/** What a Connect handler reads about its request (set per request by the face's adapter); here so the services need not import the face. */
export const envdCallerKey = createContextKey<EnvdCaller | undefined>(undefined, { description: "the E2B envd caller" });

/** The metadata for the public API: the SDK's envd access token as Wrenn's sandbox-scoped credential, and the client's address. */
export function callerMetadata(req: IncomingMessage): Metadata {
  const metadata = new Metadata();
  const token = req.headers["x-access-token"];
  if (typeof token === "string" && token !== "") metadata.set("x-wrenn-access-token", token);
  metadata.set("x-wrenn-client-ip", clientAddress(req));
  return metadata;
}

/** The user named by `Authorization: Basic base64("<user>:")`, as the SDKs send it on RPCs; undefined when absent or not Basic. */
export function basicAuthUser(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === "string" ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const user = decoded.split(":")[0] ?? "";
  return user === "" ? undefined : user;
}
