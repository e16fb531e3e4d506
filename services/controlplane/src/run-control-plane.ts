import { readFile } from "node:fs/promises";
import type { Server } from "nice-grpc";
import { createGrpcServer, createLogger, type Logger } from "@wrenn/shared";
import { carriesCredential, openGrpcMethods } from "./auth/auth-hook.js";
import { loadControlPlaneConfig, type ControlPlaneConfig, type ListenAddress } from "./config.js";
import type { ControlPlaneExtension, ExtensionContext, ExtensionParts } from "./extensions.js";
import { createGateway, type HttpRequestInfo } from "./gateway/index.js";
import { createIdentityParts } from "./identity-parts.js";
import { createSandboxRepository } from "./db/sandbox-repository.js";
import { createControlPlaneMetrics } from "./observability/metrics.js";
import { createReadiness } from "./observability/readiness.js";
import { createReachParts } from "./reach-parts.js";
import { requestHookMiddleware, runRequestHooks } from "./request-hooks.js";
import { publicServices, startCore, type CoreOptions } from "./server.js";
import { startWorkers } from "./workers.js";
import { leasedWorker } from "./singletons/leased-worker.js";

export interface RunControlPlaneOptions {
  /** Unset: read from the environment (loadControlPlaneConfig). */
  config?: ControlPlaneConfig;
  /** Unset: a "controlplane" logger at the config's level. */
  logger?: Logger;
  /** Set up in order; their hooks run in this order too. */
  extensions?: ControlPlaneExtension[];
  lifecycle?: CoreOptions["lifecycle"];
  redeliverAfterMs?: number;
}

export interface RunningControlPlane {
  /** "host:port" the gRPC server is bound to. */
  grpcAddress: string;
  /** "host:port" of the HTTP gateway, when one runs. */
  httpAddress?: string;
  /** "host:port" of the gateway's TLS listener, when one runs (WRENN_HTTPS_LISTEN). */
  httpsAddress?: string;
  /** The core's state, as extensions get it (for tests and embedding code). */
  context: ExtensionContext;
  /** Workers, then the gateway and gRPC server, then extensions' close, then the core. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the whole controlplane: the core (database and migrations, event
 * bus, host connections, lifecycle, reconciler), then every extension's
 * setup, the gRPC server (health, reflection, the public API and the
 * extensions' services behind the request hooks), the HTTP gateway, and last
 * the extensions' workers. A failure anywhere undoes what was started.
 */
export async function runControlPlane(options: RunControlPlaneOptions = {}): Promise<RunningControlPlane> {
  const config = options.config ?? loadControlPlaneConfig();
  const logger = options.logger ?? createLogger("controlplane", { level: config.logLevel });
  const core = await startCore({ config, logger, lifecycle: options.lifecycle, redeliverAfterMs: options.redeliverAfterMs });
  // Undone last first.
  const started: (() => Promise<void> | void)[] = [() => core.close()];
  const stop = async () => {
    for (const undo of started.splice(0).reverse()) {
      try {
        await undo();
      } catch (err) {
        logger.warn({ err }, "error while shutting down");
      }
    }
  };

  try {
    // Identity first: its authentication hook runs before every extension's.
    const identity = await createIdentityParts({ ...core.context, logger: logger.child({ component: "identity" }) });
    if (identity.close) started.push(() => identity.close?.());
    const parts: ExtensionParts[] = [identity];
    for (const extension of options.extensions ?? []) {
      const part = await extension.setup({ ...core.context, logger: logger.child({ extension: extension.name }) });
      parts.push(part);
      if (part.close) started.push(() => part.close?.());
      logger.info({ extension: extension.name }, "extension loaded");
    }
    const hooks = parts.flatMap((part) => part.requestHooks ?? []);

    // The hooks run before undecodable bytes are refused: no credential is UNAUTHENTICATED whatever was sent.
    const { server, health } = createGrpcServer({ logger, reflectedServices: publicServices, beforeDecoding: requestHookMiddleware(hooks) });
    let hooked: Pick<typeof server, "add" | "with"> = server;
    for (const middleware of identity.middleware) hooked = hooked.with(middleware);
    for (const service of [...core.services, ...parts.flatMap((part) => part.grpcServices ?? [])]) {
      hooked.add(service.definition, service.implementation as never);
    }
    const port = await server.listen(formatAddress(config.grpcListen));
    started.push(() => {
      // Probes see the drain before the port goes away.
      health.setStatus("unhealthy");
      return shutdownGrpc(server);
    });
    const grpcAddress = formatAddress({ host: config.grpcListen.host, port });
    logger.info({ listener: "grpc", address: grpcAddress }, "listening");

    let httpAddress: string | undefined;
    let httpsAddress: string | undefined;
    if (config.httpListen) {
      const grpcTarget = dialable(config.grpcListen.host, port);
      const authorize = (request: HttpRequestInfo) => runRequestHooks(hooks, { protocol: "http", ...request });
      const { pool, hosts } = core.context;
      const sandboxRows = createSandboxRepository(pool);
      const metrics = createControlPlaneMetrics({ countSandboxesByStatus: () => sandboxRows.countByStatus() });
      const reach = createReachParts({ config, logger, lifecycle: core.context.lifecycle, hosts: core.context.hosts, metrics, grpcTarget, authorize });
      const gateway = createGateway({
        grpcTarget,
        logger,
        extraApis: parts.flatMap((part) => part.httpApis ?? []),
        handlers: parts.flatMap((part) => part.httpRoutes ?? []),
        rawRoutes: reach.rawRoutes,
        front: reach.front,
        authorize,
        authentication: { openMethods: openGrpcMethods, carriesCredential },
        metrics,
        readiness: createReadiness({ pool, onlineHostIds: () => hosts.onlineHostIds(), logger: logger.child({ component: "readiness" }) }),
        shutdownGraceMs: config.httpShutdownGraceMs,
      });
      // The gateway logs its own "listening" line (listener "http").
      httpAddress = await gateway.listen(config.httpListen.port, config.httpListen.host);
      started.push(() => gateway.close());
      if (config.httpsListen) {
        const { address, certFile, keyFile } = config.httpsListen;
        const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
        // The gateway logs this one too (listener "https").
        httpsAddress = await gateway.listenTls(address.port, address.host, { cert, key });
      }
      // Undone first: open bridges hear 1001 before the HTTP server stops.
      started.push(() => reach.close());
    }

    const workers = startWorkers(
      parts.flatMap((part) => part.workers ?? []).map((worker) => (worker.singleton ? leasedWorker(worker, core.singletons) : worker)),
      logger,
    );
    started.push(() => workers.stop());
    return { grpcAddress, httpAddress, httpsAddress, context: core.context, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits 0: what a service's main does around runControlPlane. */
export function stopOnSignals(controlPlane: RunningControlPlane, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    void controlPlane.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
}

function formatAddress({ host, port }: ListenAddress): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A wildcard bind address is not something to dial; use loopback for our own gateway. */
function dialable(host: string, port: number): string {
  if (host === "0.0.0.0") return `127.0.0.1:${port}`;
  if (host === "::" || host === "[::]") return `[::1]:${port}`;
  return formatAddress({ host, port });
}

/** Lets running calls finish for a few seconds, then cuts the rest (e.g. endless process streams). */
async function shutdownGrpc(server: Server): Promise<void> {
  const timer = setTimeout(() => server.forceShutdown(), 5_000);
  timer.unref();
  await server.shutdown();
  clearTimeout(timer);
}
