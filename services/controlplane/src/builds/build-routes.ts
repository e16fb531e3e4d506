import type { IncomingMessage } from "node:http";
import busboy from "busboy";
import type { JsonObject } from "@bufbuild/protobuf";
import { Status } from "nice-grpc-common";
import type { Logger } from "@wrenn/shared";
import type { BuildSpec } from "@wrenn/gen/wrenn/api/v1/template.js";
import { readBody, parseJsonBody } from "../gateway/body-reader.js";
import { GatewayError, gatewayErrors, sendJson } from "../gateway/gateway-error.js";
import { clientAddress, createGrpcBackend, metadataFromHeaders, type GrpcBackend } from "../gateway/grpc-backend.js";
import { hookMetadata, type HttpRequestInfo } from "../gateway/handler-routes.js";
import type { RawHttpRoute } from "../gateway/index.js";
import type { RequestAttributes } from "../request-attributes.js";
import { createBuildCall } from "./create-build-call.js";
import { addFormField, responseJson, specFromJson } from "./build-spec-input.js";
import { createBuildOperation } from "./openapi-operation.js";

export interface BuildRoutesOptions {
  /** The controlplane's own gRPC port: a build is a CreateBuild call there with the caller's credential. */
  grpcTarget: string;
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  logger: Logger;
}

const jsonLimitBytes = 1024 * 1024;
/** A recipe is at most 64 KiB; a field a little over it is still refused by the RPC with its own message. */
const fieldLimitBytes = 128 * 1024;

/**
 * POST /v1/builds: CreateBuild over plain HTTP. A `multipart/form-data`
 * body carries the spec's fields (name, recipe, vcpus, memory_mib, disk_mib,
 * platform, step_timeout_seconds) and then at most one file part named
 * "archive", streamed to the build host as it arrives; a JSON body is a
 * BuildSpec. The credential is checked before any of the body is read.
 */
export function createBuildRoutes(options: BuildRoutesOptions): { routes: RawHttpRoute[]; close(): Promise<void> } {
  const backend = createGrpcBackend(options.grpcTarget);
  const active = new Set<AbortController>();
  const route: RawHttpRoute = {
    httpMethod: "POST",
    path: "/v1/builds",
    openapi: createBuildOperation,
    async handle(req, res, request) {
      const path = (req.url ?? "/").split("?")[0]!;
      await options.authorize({ path, httpMethod: req.method ?? "POST", metadata: hookMetadata(req), peer: clientAddress(req) });
      const own = new AbortController();
      active.add(own);
      try {
        const signal = AbortSignal.any([request.signal, own.signal]);
        const bytes = await createBuild(backend, req, signal);
        if (!signal.aborted) sendJson(res, 200, responseJson(bytes));
      } finally {
        active.delete(own);
      }
    },
  };
  return {
    routes: [route],
    close() {
      for (const upload of active) upload.abort();
      backend.close();
      return Promise.resolve();
    },
  };
}

async function createBuild(backend: GrpcBackend, req: IncomingMessage, signal: AbortSignal): Promise<Uint8Array> {
  const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  const metadata = metadataFromHeaders(req);
  if (type === "application/json") {
    const spec = specFromJson(parseJsonBody(await readBody(req, jsonLimitBytes, 30_000)));
    return createBuildCall(backend, metadata, spec, undefined, signal);
  }
  if (type === "multipart/form-data") return multipartBuild(backend, req, metadata, signal);
  throw new GatewayError(Status.INVALID_ARGUMENT, "the body must be multipart/form-data (fields and an \"archive\" file part) or application/json (a BuildSpec)", 415);
}

/**
 * Fields first, then the archive: busboy hands the file part over as a
 * stream, which becomes the call's archive; nothing after it is read.
 */
async function multipartBuild(backend: GrpcBackend, req: IncomingMessage, metadata: ReturnType<typeof metadataFromHeaders>, signal: AbortSignal): Promise<Uint8Array> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 16, parts: 17, fieldSize: fieldLimitBytes } });
  } catch (err) {
    throw gatewayErrors.invalidArgument(`malformed multipart request: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fields: JsonObject = {};
  let call: Promise<Uint8Array> | undefined;
  let failure: unknown;
  let fail!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  const stop = (err: unknown) => {
    failure ??= err;
    fail(failure);
  };
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const begin = (archive?: NodeJS.ReadableStream) => {
    let spec: BuildSpec;
    try {
      spec = specFromJson(fields);
    } catch (err) {
      archive?.resume();
      return stop(err);
    }
    call = createBuildCall(backend, metadata, spec, archive as AsyncIterable<Buffer> | undefined, signal);
    call.catch(() => undefined);
    started();
  };

  // busboy gives no name (undefined, despite its types) for a part whose name is empty or missing.
  parser.on("field", (rawName: string | undefined, value, info) => {
    const name = rawName ?? "";
    if (failure !== undefined) return;
    if (call) return stop(gatewayErrors.invalidArgument("fields must come before the archive part"));
    if (info.valueTruncated) return stop(gatewayErrors.invalidArgument(`field ${JSON.stringify(name.slice(0, 64))} is larger than ${fieldLimitBytes} bytes`));
    try {
      addFormField(fields, name, value);
    } catch (err) {
      stop(err);
    }
  });
  parser.on("file", (rawName: string | undefined, stream) => {
    const name = rawName ?? "";
    if (failure !== undefined || call || name !== "archive") {
      stream.resume();
      if (failure === undefined) stop(gatewayErrors.invalidArgument(`the only file part is "archive", once (got ${JSON.stringify(name.slice(0, 64))})`));
      return;
    }
    begin(stream);
  });
  parser.on("close", () => {
    if (!call && failure === undefined) begin();
  });
  parser.on("filesLimit", () => stop(gatewayErrors.invalidArgument("at most one file part (\"archive\")")));
  parser.on("fieldsLimit", () => stop(gatewayErrors.invalidArgument("too many fields")));
  parser.on("partsLimit", () => stop(gatewayErrors.invalidArgument("too many parts")));
  parser.on("error", (err: unknown) => stop(gatewayErrors.invalidArgument(`malformed multipart body: ${err instanceof Error ? err.message : String(err)}`)));
  req.on("error", (err) => stop(err));
  req.pipe(parser);
  await Promise.race([ready, failed]);
  return Promise.race([call!, failed]);
}
