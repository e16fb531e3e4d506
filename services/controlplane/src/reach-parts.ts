import type { Logger } from "@wrenn/shared";
import type { ControlPlaneConfig } from "./config.js";
import type { FrontHandler, HttpRequestInfo, RawHttpRoute } from "./gateway/index.js";
import type { HostRegistry } from "./hosts/host-registry.js";
import type { SandboxLifecycle } from "./lifecycle/sandbox-lifecycle.js";
import type { ControlPlaneMetrics } from "./observability/metrics.js";
import { createPortProxy } from "./proxy/port-proxy.js";
import type { RequestAttributes } from "./request-attributes.js";
import { createBuildRoutes } from "./builds/build-routes.js";
import { createFileTransferRoutes } from "./transfer/file-transfer-routes.js";
import { createWebSocketRoutes } from "./websocket/websocket-routes.js";
import { createE2bParts } from "./e2b/e2b-parts.js";

export interface ReachDeps {
  config: ControlPlaneConfig;
  logger: Logger;
  lifecycle: SandboxLifecycle;
  hosts: HostRegistry;
  metrics: ControlPlaneMetrics;
  /** The controlplane's own gRPC port, dialable. */
  grpcTarget: string;
  /** The request hooks, identity's authentication first. */
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
}

/** What reaching into a sandbox adds to the HTTP side: the port proxy in front, the WebSocket and file transfer routes. */
export interface ReachParts {
  front: FrontHandler[];
  rawRoutes: RawHttpRoute[];
  close(): Promise<void>;
}

/**
 * The port proxy, the WebSocket bridge and HTTP file transfer, put together.
 * They share nothing but the gateway's HTTP port: the proxy has HTTP agents
 * of its own toward each host agent's port tunnel, and the other two call
 * the public gRPC API over a channel of their own.
 */
export function createReachParts(deps: ReachDeps): ReachParts {
  const { config, logger, authorize, grpcTarget } = deps;
  const proxy = createPortProxy({
    domain: config.proxyDomain ?? "localhost",
    lifecycle: deps.lifecycle,
    hosts: deps.hosts,
    authorize,
    metrics: deps.metrics,
    logger: logger.child({ component: "port-proxy" }),
  });
  const websockets = createWebSocketRoutes({ grpcTarget, authorize, publicUrl: config.publicUrl, logger: logger.child({ component: "websocket" }) });
  const transfer = createFileTransferRoutes({ grpcTarget, authorize, logger: logger.child({ component: "file-transfer" }) });
  // Not a reach into a sandbox, but the same kind of route: a raw body, then the public gRPC API.
  const builds = createBuildRoutes({ grpcTarget, authorize, logger: logger.child({ component: "build-upload" }) });
  const domain = config.proxyDomain ?? "localhost";
  const httpPort = config.httpListen?.port ?? 80;
  const e2b = createE2bParts({
    grpcTarget,
    authorize,
    domain,
    sandboxDomain: httpPort === 80 || httpPort === 443 ? domain : `${domain}:${httpPort}`,
    logger,
  });
  return {
    // The E2B envd face first: `49983-<id>.<domain>` is envd there, not a port behind the proxy.
    front: [...e2b.front, proxy.front],
    rawRoutes: [...websockets.routes, ...transfer.routes, ...builds.routes, ...e2b.rawRoutes],
    async close() {
      await Promise.allSettled([proxy.close(), websockets.close(), transfer.close(), builds.close(), e2b.close()]);
    },
  };
}
