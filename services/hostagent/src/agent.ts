import { access, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createGrpcServer, type Logger } from "@wrenn/shared";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { EnvdServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { HostAgentConfig } from "./config.js";
import { describeHost, loadOrCreateHostId } from "./host/host-info.js";
import { createRelayImplementation } from "./relay/envd-relay.js";
import { pickMethods, rawServiceDefinition } from "./relay/relay-definition.js";
import { createSandboxService } from "./rpc/sandbox/index.js";
import { createSandboxManager } from "./sandbox/sandbox-manager.js";
import { selectRuntime } from "./sandbox/select-runtime.js";
import { prepareSandboxNetworks } from "./sandbox/select-network.js";
import { removeLeftoverSandboxes } from "./vmm/namespace/leftovers.js";
import { killLeftoverVms } from "./vmm/qemu/leftover-vms.js";

export interface RunningHostAgent {
  /** "host:port" actually bound, or "unix:/path". */
  address: string;
  hostId: string;
  runtime: string;
  /** Stops accepting calls, destroys every sandbox, and returns when all is gone. */
  close(): Promise<void>;
}

/**
 * Relayed envd services. Of EnvdService only the read-only port calls are
 * relayed: Init and the snapshot hooks are the agent's alone (Init replaces
 * the access token the relay adds to every call).
 */
const relayedServices = [ProcessServiceDefinition, FilesystemServiceDefinition, pickMethods(EnvdServiceDefinition, ["listPorts", "watchPorts"])];

/** Assembles the agent (wiring only) and starts listening. */
export async function startHostAgent(config: HostAgentConfig, logger: Logger): Promise<RunningHostAgent> {
  const dataDir = resolve(config.dataDir);
  const sandboxesDir = join(dataDir, "sandboxes");
  await mkdir(sandboxesDir, { recursive: true, mode: 0o700 });
  // Sandboxes of a previous run cannot be adopted (their envd tokens lived in
  // that process's memory): stop them, remove them, report them lost.
  await killLeftoverVms(sandboxesDir, logger);
  const removed = await removeLeftoverSandboxes(sandboxesDir, logger);
  if (removed.length > 0) logger.info({ removed }, "removed leftover sandboxes");
  const hostId = await loadOrCreateHostId(dataDir, config.hostId);
  const envdBundle = resolve(config.envdBundle);
  await access(envdBundle).catch(() => logger.warn({ envdBundle }, "envd bundle not found; sandboxes will fail to start"));

  const networks = await prepareSandboxNetworks(config, logger);
  const runtime = await selectRuntime({ ...config, dataDir, envdBundle }, sandboxesDir, logger, networks);
  const manager = createSandboxManager(runtime, logger, { defaultTtlSeconds: config.defaultTtlSeconds, reaperIntervalMs: config.reaperIntervalMs });
  for (const sandboxId of removed) manager.events.publish("lost", sandboxId, "the host agent restarted; the sandbox was removed");

  const { server } = createGrpcServer({
    logger,
    reflectedServices: [SandboxServiceDefinition.fullName, ...relayedServices.map((d) => d.fullName)],
  });
  server.add(SandboxServiceDefinition, createSandboxService(manager, describeHost(hostId, runtime.name, runtime.templates)));
  for (const definition of relayedServices) {
    const raw = rawServiceDefinition(definition);
    // The raw definition is a grpc-js style one (identity serializers); nice-grpc accepts those as is.
    server.add(raw, createRelayImplementation(raw, manager.envdClient) as never);
  }

  const port = await server.listen(config.listen);
  const address = config.listen.startsWith("unix:") ? config.listen : `${config.listen.replace(/:\d+$/, "")}:${port}`;
  logger.info({ listener: "grpc", address, hostId, dataDir, runtime: runtime.name }, "listening");

  return {
    address,
    hostId,
    runtime: runtime.name,
    async close() {
      // Give calls in flight a moment, then cut them: sandboxes are destroyed anyway.
      const graceful = server.shutdown();
      const timer = setTimeout(() => server.forceShutdown(), 5000);
      await graceful.catch(() => {});
      clearTimeout(timer);
      await manager.close();
      await networks?.close();
      logger.info("host agent stopped");
    },
  };
}
