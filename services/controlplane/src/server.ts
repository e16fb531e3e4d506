import type { Logger } from "@wrenn/shared";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/api/v1/process.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import { PortServiceDefinition } from "@wrenn/gen/wrenn/api/v1/port.js";
import type { ControlPlaneConfig } from "./config.js";
import { deploymentIdOf, openDatabase } from "./db/database.js";
import { createHostRepository } from "./db/host-repository.js";
import { createSandboxRepository } from "./db/sandbox-repository.js";
import { createMemoryEventBus } from "./events/memory-event-bus.js";
import { createRedisEventBus } from "./events/redis-event-bus.js";
import { grpcService, type ExtensionContext, type GrpcService } from "./extensions.js";
import { startOutcomeConsumer } from "./lifecycle/outcome-consumer.js";
import { createSandboxLifecycle } from "./lifecycle/sandbox-lifecycle.js";
import { createVisibility, defaultStoppedRetentionSeconds, stoppedPurgeWorker } from "./lifecycle/visibility.js";
import { createFilesystemService } from "./rpc/filesystem/filesystem-service.js";
import { createPortService } from "./rpc/ports/port-service.js";
import { createProcessService } from "./rpc/process/process-service.js";
import { createRelayResolver } from "./rpc/sandbox-relay.js";
import { createSandboxService } from "./rpc/sandbox/sandbox-service.js";
import { createHostRegistry } from "./hosts/host-registry.js";
import { startHostEventWatcher, type HostEventWatcher } from "./hosts/host-event-watcher.js";
import { createReconciler } from "./reconciler/reconciler.js";
import { createLeaseRepository } from "./db/lease-repository.js";
import { controlPlaneCopyId, leasedWorker, type LeaseOptions } from "./singletons/leased-worker.js";
import { startWorkers } from "./workers.js";
import { createMemoryRateLimiter, createRedisRateLimiter } from "./limits/create-rate-limiter.js";
import { createTemplateParts } from "./template-parts.js";
import { createEnrollmentRepository } from "./db/enrollment-repository.js";
import { createHostAuthority } from "./hosts/enrollment/host-authority.js";
import { createHostEnrollment } from "./hosts/enrollment/host-enrollment.js";
import { HostRegistrationServiceDefinition } from "@wrenn/gen/wrenn/api/v1/host.js";
import { createHostRegistrationService } from "./rpc/host/host-registration-service.js";

export interface CoreOptions {
  config: ControlPlaneConfig;
  logger: Logger;
  /** Lifecycle tuning, mostly for tests. */
  lifecycle?: { startTimeoutSeconds?: number; waitTimeoutMs?: number };
  /** Redelivery delay of unacknowledged events. */
  redeliverAfterMs?: number;
}

/** The controlplane without its servers: state, background machinery and the public API's implementations. */
export interface Core {
  /** What extensions build on (their logger is a child of `logger`). */
  context: ExtensionContext;
  /** wrenn.api.v1, ready to add to a gRPC server. */
  services: GrpcService[];
  /** The lease table and this copy's name in it, for jobs that run on one copy at a time. */
  singletons: LeaseOptions;
  close(): Promise<void>;
}

export const publicServices = ["wrenn.api.v1.SandboxService", "wrenn.api.v1.ProcessService", "wrenn.api.v1.FilesystemService", "wrenn.api.v1.PortService", "wrenn.api.v1.TeamService",
  "wrenn.api.v1.AccountService", "wrenn.api.v1.ApiKeyService",
  "wrenn.api.v1.AdminService", "wrenn.api.v1.AuditService", "wrenn.api.v1.TemplateService", "wrenn.api.v1.BuildService"];

/**
 * Database (migrated), event bus, host registry with one event stream per
 * host, lifecycle with its outcome consumer, purge and reconciler. Stateless
 * apart from PostgreSQL and Redis, so N copies can run side by side.
 */
export async function startCore(options: CoreOptions): Promise<Core> {
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

    // Hosts that join with a registration token are trusted through this CA (mutual TLS), shared by every copy.
    const enrollmentStore = createEnrollmentRepository(db.pool);
    const certificateDays = config.hostCertificateDays ?? 30;
    const authority = createHostAuthority({ store: enrollmentStore, secretsKey: config.secretsKey, hostCertificateDays: certificateDays, logger });
    const hosts = createHostRegistry({
      hostAgentUrl: config.hostAgentUrl,
      hosts: hostRepository,
      logger,
      heartbeatMs: config.hostHeartbeatMs,
      registered: { store: enrollmentStore, authority, certificateDays },
    });
    cleanups.push(() => hosts.close());
    const enrollment = createHostEnrollment({ store: enrollmentStore, authority, logger, onChange: () => hosts.refreshRegistered() });

    const visibility = createVisibility(config.stoppedRetentionSeconds ?? defaultStoppedRetentionSeconds);
    const lifecycle = createSandboxLifecycle({ sandboxes, scheduler: hosts, bus, logger, visibility, ...options.lifecycle });
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
    // The reconciler's rounds and the purge run on one copy at a time; every
    // copy still reconciles a host it sees come back, at once.
    const singletons = { leases: createLeaseRepository(db.pool), holder: controlPlaneCopyId(), ttlMs: config.singletonLeaseMs ?? 15_000, logger };
    const coreJobs = startWorkers(
      [
        { name: "reconciler", run: (signal: AbortSignal) => reconciler.rounds(signal) },
        stoppedPurgeWorker({ sandboxes, visibility, logger }),
      ].map((job) => leasedWorker(job, singletons)),
      logger,
    );
    cleanups.push(() => coreJobs.stop());

    const resolve = createRelayResolver((teamId, id) => lifecycle.operable(teamId, id), (hostId) => hosts.connectionFor(hostId));
    // One limit for every copy when they share Redis; this process's own otherwise.
    const perMinute = config.createRatePerMinute ?? 60;
    const limiter = config.redisUrl
      ? createRedisRateLimiter({ url: config.redisUrl, perMinute, logger })
      : createMemoryRateLimiter(perMinute);
    cleanups.push(() => limiter.close());
    // After the hosts: builds still active are followed again at once.
    const templates = await createTemplateParts({ pool: db.pool, hosts, lifecycle, logger, platformBuilds: config.platformTemplateBuilds ?? true });
    cleanups.push(() => templates.close());
    const services = [
      grpcService(SandboxServiceDefinition, createSandboxService(lifecycle, { limiter, perMinute }, templates.resolve)),
      grpcService(ProcessServiceDefinition, createProcessService(resolve)),
      grpcService(FilesystemServiceDefinition, createFilesystemService(resolve)),
      grpcService(PortServiceDefinition, createPortService(resolve)),
      grpcService(HostRegistrationServiceDefinition, createHostRegistrationService(enrollment)),
      ...templates.services,
    ];
    return { context: { config, logger, pool: db.pool, bus, lifecycle, hosts, enrollment, reconciler }, singletons, services, close };
  } catch (err) {
    await close();
    throw err;
  }
}
