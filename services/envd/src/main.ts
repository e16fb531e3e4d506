import { createGrpcServer, createLogger, installProcessGuards, loadConfig } from "@wrenn/shared";
import { EnvdServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { defaultUserOf, envdConfigSchema } from "./config.js";
import { createAccessChecker } from "./filesystem/access.js";
import { accessTokenMiddleware, createAccessToken } from "./lifecycle/access-token.js";
import { listenWithAdmission, type ConnectionControl } from "./lifecycle/connections.js";
import { createLifecycle } from "./lifecycle/lifecycle.js";
import { boundAddress, parseListenAddress, prepareListenAddress } from "./listen-address.js";
import { createPeerFilter } from "./peer-filter.js";
import { createClock } from "./metadata/clock.js";
import { startClockHelper } from "./metadata/clock-helper.js";
import { createCloneNotice } from "./metadata/clone-notice.js";
import { createKernelRng } from "./metadata/kernel-rng.js";
import { createMetadataStore } from "./metadata/store.js";
import { createPortScanner } from "./ports/port-scanner.js";
import { findPtyHelper } from "./process/pty-helper.js";
import { createProcessRegistry } from "./process/registry.js";
import type { EnvdDeps } from "./rpc/deps.js";
import { createEnvdService } from "./rpc/envd/service.js";
import { createFilesystemService } from "./rpc/filesystem/service.js";
import { createProcessService } from "./rpc/process/service.js";
import { createActorResolver } from "./users/actor.js";
import { createUserDb } from "./users/user-db.js";
import { envdVersion } from "./version.js";

const config = loadConfig(envdConfigSchema);
const logger = createLogger("envd", { level: config.WRENN_LOG_LEVEL });
installProcessGuards(logger);

const users = createUserDb();
const defaultUser = defaultUserOf(config);
if (!users.snapshot().byName(defaultUser)) {
  logger.fatal({ defaultUser }, "default user is not in /etc/passwd");
  process.exit(1);
}
const ptyHelper = findPtyHelper(config.WRENN_ENVD_PTY_HELPER);
if (!ptyHelper) logger.warn("wrenn-pty helper not found; PTY processes will be refused");
const metadata = createMetadataStore(defaultUser);
const registry = createProcessRegistry();
const lifecycle = createLifecycle(logger);
const ports = createPortScanner({
  logger,
  intervalMs: config.WRENN_ENVD_PORT_SCAN_MS,
  forward: config.WRENN_ENVD_FORWARD_PORTS,
  forwardAddresses: config.WRENN_ENVD_FORWARD_ADDRESSES?.split(",").map((a) => a.trim()).filter(Boolean),
});
lifecycle.addHook({ name: "ports", quiesce: () => ports.stop(), resume: () => ports.start() });

// Started now, at boot, so that it is already running in every snapshot (see native/wrenn-clock.c).
const helper = config.WRENN_ENVD_CLOCK_HELPER ? startClockHelper(config.WRENN_ENVD_CLOCK_HELPER, logger) : undefined;
const cloneNotice = createCloneNotice(config.WRENN_ENVD_CLONE_FILE, logger);
cloneNotice.renew();

// Filled in once the server listens (connections exist only then).
let connections: ConnectionControl = { closeAll() {} };
const deps: EnvdDeps = {
  logger,
  users,
  metadata,
  registry,
  runtime: { registry, logger, ptyHelper, replayBytes: config.WRENN_ENVD_REPLAY_BYTES, ptyIdleMs: config.WRENN_ENVD_PTY_IDLE_MS },
  lifecycle,
  accessToken: createAccessToken(),
  connections: { closeAll: (graceMs) => connections.closeAll(graceMs) },
  ports,
  clock: createClock(logger, helper),
  rng: createKernelRng(logger, helper),
  cloneNotice,
  keepaliveMs: config.WRENN_ENVD_KEEPALIVE_MS,
  resolveActor: createActorResolver(users, metadata),
  version: envdVersion,
};

const { server } = createGrpcServer({
  logger,
  reflectedServices: [ProcessServiceDefinition.fullName, FilesystemServiceDefinition.fullName, EnvdServiceDefinition.fullName],
  // File chunks are 64 KiB; this only bounds what a client may send at once.
  maxMessageBytes: 8 * 1024 * 1024,
});
// Health and reflection stay open; every envd service needs the token once Init set one.
const guard = accessTokenMiddleware(deps.accessToken);
server.with(guard).add(ProcessServiceDefinition, createProcessService(deps));
server.with(guard).add(FilesystemServiceDefinition, createFilesystemService({ ...deps, access: createAccessChecker() }));
server.with(guard).add(EnvdServiceDefinition, createEnvdService(deps));

// Connections from inside the guest are refused before any byte is read; logged at most every 10 s.
let refusedSince = 0;
let lastRefusalLog = 0;
const admit = createPeerFilter(config.WRENN_ENVD_REFUSE_LOCAL_PEERS, (peer) => {
  refusedSince += 1;
  if (Date.now() - lastRefusalLog < 10_000) return;
  logger.warn({ peer, refused: refusedSince }, "refused a connection from inside the sandbox: only the host may call envd");
  lastRefusalLog = Date.now();
  refusedSince = 0;
});
prepareListenAddress(config.WRENN_ENVD_LISTEN);
const target = parseListenAddress(config.WRENN_ENVD_LISTEN);
const listener = await listenWithAdmission(server, target, admit);
const address = boundAddress(target, listener.port);
connections = listener;
// envd's own TCP listener (in a VM) is not one of the sandbox's ports.
if ("host" in target) ports.hide(target.host, listener.port);
ports.start();
logger.info({ listener: "grpc", address, version: envdVersion, defaultUser, pty: !!ptyHelper }, "listening");

// SIGUSR2 logs what envd holds (tests use it to prove nothing leaks after many calls).
process.on("SIGUSR2", () => {
  const resources: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  logger.info({ resources, processes: registry.list().length, openCalls: lifecycle.openCalls }, "diagnostics");
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  const force = setTimeout(() => server.forceShutdown(), 3_000);
  await ports.stop();
  await registry.killAll(1_000);
  deps.clock.close();
  listener.close();
  await server.shutdown();
  clearTimeout(force);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
