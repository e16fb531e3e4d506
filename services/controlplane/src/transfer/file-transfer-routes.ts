import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@wrenn/shared";
import type { HttpRequestInfo, RawHttpRoute, RawRouteRequest } from "../gateway/index.js";
import { createGrpcBackend } from "../gateway/grpc-backend.js";
import type { RequestAttributes } from "../request-attributes.js";
import { handleDownload } from "./download.js";
import { fileCalls, type FileCalls } from "./file-calls.js";
import { downloadOperation, uploadOperation } from "./openapi-operations.js";
import { authorizeRequest } from "./transfer-request.js";
import { handleUpload } from "./upload.js";

export interface FileTransferRoutesOptions {
  /** The controlplane's own gRPC port ("host:port"): uploads and downloads are WriteFile / ReadFile calls there with the caller's credential. */
  grpcTarget: string;
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  logger: Logger;
}

export interface FileTransferRoutes {
  routes: RawHttpRoute[];
  close(): Promise<void>;
}

type Handler = (calls: FileCalls, req: IncomingMessage, res: ServerResponse, request: RawRouteRequest) => Promise<void>;

/**
 * Plain-HTTP file transfer beside the NDJSON file routes: POST and GET
 * `/v1/sandboxes/{sandbox_id}/files` carry a file's bytes as the body. Both
 * stream end to end (a few MiB held per transfer whatever the file's size)
 * and go through the public FilesystemService over a channel of their own,
 * so a slow download cannot starve the gateway's calls.
 */
export function createFileTransferRoutes(options: FileTransferRoutesOptions): FileTransferRoutes {
  const backend = createGrpcBackend(options.grpcTarget);
  const calls = fileCalls(backend);
  const active = new Set<AbortController>();

  const route = (httpMethod: string, openapi: Record<string, unknown>, handler: Handler): RawHttpRoute => ({
    httpMethod,
    path: "/v1/sandboxes/{sandbox_id}/files",
    openapi,
    async handle(req, res, request) {
      await authorizeRequest(req, options.authorize);
      // close() ends transfers still running at shutdown (after the server's grace).
      const own = new AbortController();
      const signal = AbortSignal.any([request.signal, own.signal]);
      active.add(own);
      try {
        await handler(calls, req, res, { ...request, signal });
      } finally {
        active.delete(own);
      }
    },
  });

  return {
    routes: [route("POST", uploadOperation, handleUpload), route("GET", downloadOperation, handleDownload)],
    close() {
      for (const transfer of active) transfer.abort();
      backend.close();
      return Promise.resolve();
    },
  };
}
