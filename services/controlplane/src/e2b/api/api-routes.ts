import type { Logger } from "@wrenn/shared";
import { Status } from "nice-grpc-common";
import type { HttpRequestInfo, RawHttpRoute } from "../../gateway/index.js";
import { createGrpcBackend, metadataFromHeaders } from "../../gateway/grpc-backend.js";
import type { RequestAttributes } from "../../request-attributes.js";
import { authorizeRequest } from "../../transfer/transfer-request.js";
import { sendE2bError } from "./e2b-error.js";
import { domainFor } from "./sandbox-domain.js";
import { operations } from "./openapi-operations.js";
import { sandboxCalls } from "./sandbox-calls.js";
import * as handlers from "./sandbox-handlers.js";
import type { Handler } from "./sandbox-handlers.js";

export interface E2bApiRoutesOptions {
  /** The controlplane's own gRPC port: every call is a public API call there, with the caller's X-API-KEY. */
  grpcTarget: string;
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  /** The domain reported to the SDKs as the sandboxes' (`Sandbox.domain`): `<port>-<id>.<domain>` reaches a port. */
  sandboxDomain: string;
  logger: Logger;
}

type Overrides = Partial<Record<Status, number>>;

/**
 * The control-plane half of the E2B-compatible face: the REST calls the
 * SDKs make (`/sandboxes…`, `/v2/sandboxes…`), as raw routes on the
 * gateway's port. Each is a translation onto the public SandboxService with
 * the caller's credential, answered in E2B's shapes and statuses.
 */
export function createE2bApiRoutes(options: E2bApiRoutesOptions): { routes: RawHttpRoute[]; close(): Promise<void> } {
  const backend = createGrpcBackend(options.grpcTarget);
  const { logger } = options;

  const route = (httpMethod: string, path: string, openapi: Record<string, unknown>, handler: Handler, overrides: Overrides = {}): RawHttpRoute => ({
    httpMethod,
    path,
    openapi,
    async handle(req, res, request) {
      try {
        // The credential first, before any of the body is read.
        await authorizeRequest(req, options.authorize);
        const calls = sandboxCalls(backend, metadataFromHeaders(req), request.signal);
        const domain = domainFor(options.sandboxDomain, req.socket as { localPort?: number; encrypted?: boolean });
        await handler({ req, res, calls, pathId: request.pathVars.get("sandboxID") ?? "", query: request.query, domain });
      } catch (err) {
        sendE2bError(res, err, logger, overrides);
      }
    },
  });

  const one = "/sandboxes/{sandboxID}";
  // A paused sandbox cannot be paused twice, and a moving one not at all: E2B's word is 409.
  const conflict: Overrides = { [Status.FAILED_PRECONDITION]: 409 };
  return {
    routes: [
      route("POST", "/v2/sandboxes", { ...operations.create, operationId: "E2b_CreateSandboxV2" }, handlers.createSandbox),
      route("POST", "/sandboxes", { ...operations.create, operationId: "E2b_CreateSandbox" }, handlers.createSandbox),
      route("GET", "/v2/sandboxes", { ...operations.list, operationId: "E2b_ListSandboxesV2" }, handlers.listSandboxes),
      route("GET", "/sandboxes", { ...operations.list, operationId: "E2b_ListSandboxes" }, handlers.listSandboxes),
      route("GET", one, { ...operations.get, operationId: "E2b_GetSandbox" }, handlers.getSandbox),
      route("DELETE", one, { ...operations.kill, operationId: "E2b_KillSandbox" }, handlers.killSandbox),
      route("POST", `${one}/timeout`, { ...operations.timeout, operationId: "E2b_SetSandboxTimeout" }, handlers.setSandboxTimeout),
      route("POST", `${one}/pause`, { ...operations.pause, operationId: "E2b_PauseSandbox" }, handlers.pauseSandbox, conflict),
      route("POST", `/v2${one}/connect`, { ...operations.connect, operationId: "E2b_ConnectSandboxV2" }, handlers.connectSandbox),
      route("POST", `${one}/connect`, { ...operations.connect, operationId: "E2b_ConnectSandbox" }, handlers.connectSandbox),
      route("POST", `${one}/resume`, { ...operations.resume, operationId: "E2b_ResumeSandbox" }, handlers.resumeSandbox, conflict),
      route("GET", `${one}/metrics`, { ...operations.metrics, operationId: "E2b_GetSandboxMetrics" }, handlers.sandboxMetrics),
    ],
    close() {
      backend.close();
      return Promise.resolve();
    },
  };
}
