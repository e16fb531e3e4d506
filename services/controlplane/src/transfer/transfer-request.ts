import type { IncomingMessage } from "node:http";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import type { JsonValue } from "@bufbuild/protobuf";
import { gatewayErrors } from "../gateway/gateway-error.js";
import { clientAddress } from "../gateway/grpc-backend.js";
import { hookMetadata, type HttpRequestInfo } from "../gateway/handler-routes.js";
import { decodeMessage } from "../gateway/request-builder.js";
import { loadRegistry } from "../gateway/routes.js";
import type { RequestAttributes } from "../request-attributes.js";

export type Authorize = (request: HttpRequestInfo) => Promise<RequestAttributes>;

/** The request hooks on the headers alone: a missing or bad credential is refused (401) before any of the body is read. */
export async function authorizeRequest(req: IncomingMessage, authorize: Authorize): Promise<void> {
  const path = (req.url ?? "/").split("?")[0]!;
  await authorize({ path, httpMethod: req.method ?? "GET", metadata: hookMetadata(req), peer: clientAddress(req) });
}

export interface TransferQuery {
  path?: string;
  user?: string;
}

/** `path` and `user` from the query; each at most once, so no one reads a different one than we do. */
export function transferQuery(query: string): TransferQuery {
  const params = new URLSearchParams(query);
  const out: TransferQuery = {};
  for (const name of ["path", "user"] as const) {
    const values = params.getAll(name);
    if (values.length > 1) throw gatewayErrors.invalidArgument(`${name} must be given at most once`);
    if (values[0]) out[name] = values[0];
  }
  return out;
}

export function requirePathParam(query: TransferQuery): string {
  if (!query.path) throw gatewayErrors.invalidArgument("path is required");
  return query.path;
}

let registry: ReturnType<typeof loadRegistry> | undefined;

/** A WriteFileResponse's entry as the transcoded routes render EntryInfo (proto JSON, defaults shown). */
export function entryJson(writeFileResponse: Uint8Array): JsonValue {
  registry ??= loadRegistry(descriptorSetBase64);
  const schema = registry.getMessage("wrenn.api.v1.WriteFileResponse");
  if (!schema) throw new Error("WriteFileResponse is not in the descriptor set");
  const json = decodeMessage(schema, writeFileResponse, registry) as { entry?: JsonValue };
  return json.entry ?? null;
}
