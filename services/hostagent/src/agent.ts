import { access, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createGrpcServer, type Logger } from "@wrenn/shared";
import { SandboxServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { BuildServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import { EnvdServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { HostAgentConfig } from "./config.js";
import { describeHost, loadOrCreateHostId } from "./host/host-info.js";
import { createRelayImplementation } from "./relay/envd-relay.js";
import { pickMethods, rawServiceDefinition } from "./relay/relay-definition.js";
import { startPortTunnel } from "./proxy/port-tunnel.js";
import { createSandboxService } from "./rpc/sandbox/index.js";
import { createBuildService } from "./rpc/build/index.js";
import { loadBuildConfig } from "./build/build-config.js";
import { createBuilder } from "./build/builder.js";
import { createSandboxManager } from "./sandbox/sandbox-manager.js";
import { selectRuntime } from "./sandbox/select-runtime.js";
import { prepareSandboxNetworks } from "./sandbox/select-network.js";
import { CredentialsServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/credentials.js";
import { mutualTlsServerCredentials } from "@wrenn/shared/pki/index";
import { prepareHostTls } from "./credentials/host-tls.js";
import { createCredentialsService } from "./credentials/credentials-service.js";

export interface RunningHostAgent {
  /** "host:port" actually bound, or "unix:/path". */
  address: string;
  /** "host:port" of the port tunnel (proxy/port-tunnel.ts). */
  portProxyAddress: string;
  hostId: string;
  runtime: string;
  /**
   * Stops accepting calls; then, per WRENN_SANDBOXES_ON_STOP, leaves every
   * sandbox running for the next start to adopt ("keep") or destroys them
   * all ("destroy") and returns when all is gone.
   */
  close(): Promise<void>;
}

/**
 * Relayed envd services. Of EnvdService only the read-only port calls are
 * relayed: Init and the snapshot hooks are the agent's alone (Init replaces
 * the access token the relay adds to every call).
 */
const relayedServices = [ProcessServiceDefinition, FilesystemServiceDefinition, pickMethods(EnvdServiceDefinition, ["listPorts", "watchPorts"])];

/** Assembles the agent (wiring only) and starts listening. */
export interface StartOptions {
  /** Stops a registration that waits for the controlplane (the start then rejects with RegistrationAborted). */
  signal?: AbortSignal;
  /** Told when the start begins and ends waiting for the registration (so a stop then can be graceful). */
  onRegistering?(active: boolean): void;
}

export async function startHostAgent(config: HostAgentConfig, logger: Logger, options: StartOptions = {}): Promise<RunningHostAgent> {
  const dataDir = resolve(config.dataDir);
  const sandboxesDir = join(dataDir, "sandboxes");
  await mkdir(sandboxesDir, { recursive: true, mode: 0o700 });
  const hostId = await loadOrCreateHostId(dataDir, config.hostId);
  // Registered (or registering with a token): both listeners serve mutual TLS
  // only. First, so stored credentials that cannot be read stop the start at once.
  const hostTls = await prepareHostTls(config, dataDir, hostId, logger);
  const envdBundle = resolve(config.envdBundle);
  await access(envdBundle).catch(() => logger.warn({ envdBundle }, "envd bundle not found; sandboxes will fail to start"));

  const networks = await prepareSandboxNetworks(config, logger);
  // Sandboxes of a previous run that are still alive are adopted (the runtime
  // takes their processes and networks back, the manager their tokens and
  // TTLs from sandbox.json); only the dead are reported LOST.
  const started = performance.now();
  const { runtime, recovered } = await selectRuntime({ ...config, dataDir, envdBundle }, sandboxesDir, logger, networks);
  const manager = createSandboxManager(runtime, logger, { defaultTtlSeconds: config.defaultTtlSeconds, reaperIntervalMs: config.reaperIntervalMs, sandboxesDir });
  const { adopted, lost } = await manager.adopt(recovered);
  if (adopted.length + lost.length > 0) {
    logger.info({ adopted: adopted.length, lost, ms: Math.round(performance.now() - started) }, "re-adopted sandboxes of the previous run");
  }

  // After adoption: the build sandboxes of a previous run are gone by now, and
  // their builds/<id> directories say which builds the restart interrupted.
  const builder = await createBuilder({
    manager,
    capabilities: runtime.capabilities,
    runtimeName: runtime.name,
    dataDir,
    cacheBudgetBytes: loadBuildConfig().cacheBudgetBytes,
    logger,
  });
  // A deleted template takes the build cache entries backed by it along.
  const sandboxLayer: typeof manager = {
    ...manager,
    async deleteTemplate(templateId) {
      await manager.deleteTemplate(templateId);
      await builder.templateDeleted(templateId);
    },
  };

  // Before the gRPC port, so GetHostInfo can name it from the first call.
  const tunnel = await startPortTunnel({ listen: config.portProxyListen, lookup: (id) => manager.portReach(id), logger, tls: hostTls?.certificates });
  const stopCutting = manager.onUnreachable((sandboxId) => tunnel.closeSandbox(sandboxId));

  const { server } = createGrpcServer({
    logger,
    reflectedServices: [SandboxServiceDefinition.fullName, BuildServiceDefinition.fullName, ...relayedServices.map((d) => d.fullName)],
  });
  server.add(SandboxServiceDefinition, createSandboxService(
      sandboxLayer,
      describeHost({ hostId, runtime: runtime.name, templates: runtime.templates, portProxyAddress: config.portProxyAdvertiseAddress ?? tunnel.address, dataDir, sandboxes: () => manager.list() }),
    ));
  server.add(BuildServiceDefinition, createBuildService(builder));
  for (const definition of relayedServices) {
    const raw = rawServiceDefinition(definition);
    // The raw definition is a grpc-js style one (identity serializers); nice-grpc accepts those as is.
    server.add(raw, createRelayImplementation(raw, manager.envdClient) as never);
  }

  if (hostTls) {
    // Only on mutual TLS (a plaintext agent answers UNIMPLEMENTED). Nobody gets
    // through the TLS handshake before ready() below has the certificate in.
    server.add(
      CredentialsServiceDefinition,
      createCredentialsService({ certificates: hostTls.certificates, store: hostTls.store, agentHostId: hostId, registration: () => hostTls.registration(), logger }),
    );
  }
  let address: string;
  try {
    const port = await server.listen(config.listen, hostTls ? mutualTlsServerCredentials(hostTls.certificates) : undefined);
    address = config.listen.startsWith("unix:") ? config.listen : `${config.listen.replace(/:\d+$/, "")}:${port}`;
    // Bound first (so the addresses sent are the real ports), serving only once the certificate is in.
    if (hostTls) {
      options.onRegistering?.(true);
      await hostTls.ready({ address, portProxyAddress: tunnel.address }, options.signal).finally(() => options.onRegistering?.(false));
    }
  } catch (err) {
    // Refused or stopped before it served: undo the start (sandboxes are kept for the next one).
    server.forceShutdown();
    stopCutting();
    await builder.close().catch(() => {});
    await tunnel.close().catch(() => {});
    await manager.close("keep").catch(() => {});
    await networks?.close().catch(() => {});
    throw err;
  }
  logger.info({ listener: "grpc", address, hostId, dataDir, runtime: runtime.name, tls: hostTls ? "mutual" : "none" }, "listening");
  // Bound before the gRPC port, logged after it: the gRPC address stays the first one tools print.
  logger.info({ listener: "port-proxy", address: tunnel.address }, "listening");

  return {
    address,
    portProxyAddress: tunnel.address,
    hostId,
    runtime: runtime.name,
    async close() {
      // Give calls in flight a moment, then cut them.
      const graceful = server.shutdown();
      const timer = setTimeout(() => server.forceShutdown(), 5000);
      await graceful.catch(() => {});
      clearTimeout(timer);
      stopCutting();
      // Builds unwind (their sandboxes destroyed) before the manager goes.
      await builder.close();
      await tunnel.close();
      await manager.close(config.sandboxesOnStop);
      // Keeps the host firewall table while kept sandboxes still use it.
      await networks?.close();
      logger.info({ sandboxes: config.sandboxesOnStop === "keep" ? "left running" : "destroyed" }, "host agent stopped");
    },
  };
}
