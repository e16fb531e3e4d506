import type { Server } from "nice-grpc";
import type { DatabasePool } from "slonik";
import { createGrpcServer, type Logger } from "@wrenn/shared";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/api/v1/process.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import { PortServiceDefinition } from "@wrenn/gen/wrenn/api/v1/port.js";
import type { ControlPlaneConfig, ListenAddress } from "./config.js";
import { deploymentIdOf, openDatabase } from "./db/database.js";
import { createHostRepository } from "./db/host-repository.js";
import { createSandboxRepository } from "./db/sandbox-repository.js";
import type { EventBus } from "./events/event-bus.js";
import { createMemoryEventBus } from "./events/memory-event-bus.js";
import { createRedisEventBus } from "./events/redis-event-bus.js";
import { createGateway, type Gateway } from "./gateway/index.js";
import { startOutcomeConsumer } from "./lifecycle/outcome-consumer.js";
import { createSandboxLifecycle, type SandboxLifecycle } from "./lifecycle/sandbox-lifecycle.js";
import { createVisibility, defaultStoppedRetentionSeconds, startStoppedPurge } from "./lifecycle/visibility.js";
import { createFilesystemService } from "./rpc/filesystem/filesystem-service.js";
import { createPortService } from "./rpc/ports/port-service.js";
import { createProcessService } from "./rpc/process/process-service.js";
import { createRelayResolver } from "./rpc/sandbox-relay.js";
import { createSandboxService } from "./rpc/sandbox/sandbox-service.js";
import { createHostRegistry, type HostRegistry } from "./hosts/host-registry.js";
import { startHostEventWatcher, type HostEventWatcher } from "./hosts/host-event-watcher.js";
import { createReconciler, type Reconciler } from "./reconciler/reconciler.js";

/** What an extension (e.g. a private edition's routes or workers) gets to build on. */
export interface ControlPlaneContext {
  config: ControlPlaneConfig;
  logger: Logger;
  /** Add services here; the server starts listening after every extension's setup. */
  grpcServer: Server;
  pool: DatabasePool;
  bus: EventBus;
  lifecycle: SandboxLifecycle;
  hosts: HostRegistry;
  reconciler: Reconciler;
}

export interface ControlPlaneExtension {
  name: string;
  /** Runs before the servers listen; may return a cleanup run at close (in reverse order). */
  setup(context: ControlPlaneContext): Promise<void | (() => Promise<void>)>;
}

export interface RunControlPlaneOptions {
  config: ControlPlaneConfig;
  logger: Logger;
  extensions?: ControlPlaneExtension[];
  /** Lifecycle tuning, mostly for tests. */
  lifecycle?: { startTimeoutSeconds?: number; waitTimeoutMs?: number };
  /** Redelivery delay of unacknowledged events. */
  redeliverAfterMs?: number;
}

export interface RunningControlPlane {
  /** "host:port" the gRPC server is bound to. */
  grpcAddress: string;
  /** "host:port" of the HTTP gateway, when one runs. */
  httpAddress?: string;
  /** Exposed for extensions and tests. */
  context: ControlPlaneContext;
  close(): Promise<void>;
}

export const publicServices = ["wrenn.api.v1.SandboxService", "wrenn.api.v1.ProcessService", "wrenn.api.v1.FilesystemService", "wrenn.api.v1.PortService"];

/**
 * Starts the controlplane: database (migrated), event bus, host registry,
 * lifecycle with its outcome consumer, the gRPC server and the HTTP gateway.
 * Stateless apart from PostgreSQL and Redis, so N copies can run side by side.
 */
export async function runControlPlane(options: RunControlPlaneOptions): Promise<RunningControlPlane> {
  const { config, logger } = options;
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        logger.warn({ err }, "error while shutting down");
      }
    }
  };

  try {
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
    cleanups.push(() => db.close());
    const sandboxes = createSandboxRepository(db.pool);
    const hostRepository = createHostRepository(db.pool);

    const bus = config.redisUrl
      ? createRedisEventBus({ url: config.redisUrl, stream: config.eventsStream, logger, redeliverAfterMs: options.redeliverAfterMs })
      : createMemoryEventBus({ redeliverAfterMs: options.redeliverAfterMs });
    cleanups.push(() => bus.close());
    logger.info({ bus: config.redisUrl ? "redis" : "in-process", database: db.embedded ? "embedded" : "postgres" }, "state backends ready");

    const hosts = createHostRegistry({ hostAgentUrl: config.hostAgentUrl, hosts: hostRepository, logger });
    cleanups.push(() => hosts.close());

    const visibility = createVisibility(config.stoppedRetentionSeconds ?? defaultStoppedRetentionSeconds);
    const lifecycle = createSandboxLifecycle({ sandboxes, scheduler: hosts, bus, logger, visibility, ...options.lifecycle });
    const purge = startStoppedPurge({ sandboxes, visibility, logger });
    cleanups.push(() => purge.close());
    // Background host calls get a bounded grace period at shutdown.
    cleanups.push(() => Promise.race([lifecycle.drain(), new Promise((r) => setTimeout(r, 10_000).unref())]).then(() => {}));
    // The consumer group exists before any host event is published (a group starts at the stream's end).
    const consumer = await startOutcomeConsumer(bus, lifecycle, logger, await deploymentIdOf(db.pool));
    cleanups.push(() => consumer.close());
    const reconciler = createReconciler({
      sandboxes,
      scheduler: hosts,
      hostIds: () => hosts.onlineHostIds(),
      logger,
      notify: (id) => lifecycle.notify(id),
      intervalMs: config.reconcileIntervalMs ?? 30_000,
      stuckAfterMs: config.reconcileStuckAfterMs ?? 10 * 60_000,
    });
    cleanups.push(() => reconciler.close());
    const reconcileNow = (hostId: string) =>
      void reconciler.reconcileHost(hostId).catch((err) => logger.warn({ hostId, err: (err as Error).message }, "reconcile failed"));

    // One event stream per host, opened when the host first answers; a host
    // that comes back after being unreachable is reconciled at once.
    const watchers = new Map<string, HostEventWatcher>();
    cleanups.push(() => Promise.all([...watchers.values()].map((w) => w.close())).then(() => {}));
    hosts.onOnline((hostId, connection) => {
      reconcileNow(hostId);
      if (watchers.has(hostId)) return;
      watchers.set(
        hostId,
        startHostEventWatcher({
          hostId,
          connection,
          logger,
          onReconnect: () => reconcileNow(hostId),
          async publish(event) {
            try {
              await bus.publish(event);
            } catch (err) {
              // The bus is the normal path; without it, apply here rather than lose the event.
              logger.warn({ err: (err as Error).message }, "publishing a host event failed; applying it directly");
              await lifecycle.applyEvent(event);
            }
          },
        }),
      );
    });
    await hosts.start();
    reconciler.start();

    const { server } = createGrpcServer({ logger, reflectedServices: publicServices });
    const resolve = createRelayResolver((id) => lifecycle.operable(id), (hostId) => hosts.connectionFor(hostId));
    server.add(SandboxServiceDefinition, createSandboxService(lifecycle));
    server.add(ProcessServiceDefinition, createProcessService(resolve));
    server.add(FilesystemServiceDefinition, createFilesystemService(resolve));
    server.add(PortServiceDefinition, createPortService(resolve));

    const context: ControlPlaneContext = { config, logger, grpcServer: server, pool: db.pool, bus, lifecycle, hosts, reconciler };
    for (const extension of options.extensions ?? []) {
      const cleanup = await extension.setup(context);
      if (cleanup) cleanups.push(cleanup);
      logger.info({ extension: extension.name }, "extension loaded");
    }

    const port = await server.listen(formatAddress(config.grpcListen));
    cleanups.push(() => shutdownGrpc(server));
    const grpcAddress = formatAddress({ host: config.grpcListen.host, port });
    logger.info({ listener: "grpc", address: grpcAddress }, "listening");

    let httpAddress: string | undefined;
    if (config.httpListen) {
      const gateway: Gateway = createGateway({ grpcTarget: dialable(config.grpcListen.host, port), logger });
      // The gateway logs its own "listening" line (listener "http").
      httpAddress = await gateway.listen(config.httpListen.port, config.httpListen.host);
      cleanups.push(() => gateway.close());
    }

    return { grpcAddress, httpAddress, context, close };
  } catch (err) {
    await close();
    throw err;
  }
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
