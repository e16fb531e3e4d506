import { createGrpcServer, createLogger, loadConfig } from "@wrenn/shared";
import { EnvdServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { defaultUserOf, envdConfigSchema } from "./config.js";
import { createAccessChecker } from "./filesystem/access.js";
import { boundAddress, prepareListenAddress } from "./listen-address.js";
import { createMetadataStore } from "./metadata/store.js";
import { createProcessRegistry } from "./process/registry.js";
import { createEnvdService } from "./rpc/envd/service.js";
import { createFilesystemService } from "./rpc/filesystem/service.js";
import { createProcessService } from "./rpc/process/service.js";
import { createActorResolver } from "./users/actor.js";
import { createUserDb } from "./users/user-db.js";
import { envdVersion } from "./version.js";

const config = loadConfig(envdConfigSchema);
const logger = createLogger("envd", { level: config.WRENN_LOG_LEVEL });

const users = createUserDb();
const defaultUser = defaultUserOf(config);
if (!users.snapshot().byName(defaultUser)) {
  logger.fatal({ defaultUser }, "default user is not in /etc/passwd");
  process.exit(1);
}
const metadata = createMetadataStore(defaultUser);
const registry = createProcessRegistry();
const deps = {
  logger,
  users,
  metadata,
  registry,
  resolveActor: createActorResolver(users, metadata),
  version: envdVersion,
};

const { server } = createGrpcServer({
  logger,
  reflectedServices: [ProcessServiceDefinition.fullName, FilesystemServiceDefinition.fullName, EnvdServiceDefinition.fullName],
  // File chunks are 64 KiB; this only bounds what a client may send at once.
  maxMessageBytes: 8 * 1024 * 1024,
});
server.add(ProcessServiceDefinition, createProcessService(deps));
server.add(FilesystemServiceDefinition, createFilesystemService({ ...deps, access: createAccessChecker() }));
server.add(EnvdServiceDefinition, createEnvdService(deps));

prepareListenAddress(config.WRENN_ENVD_LISTEN);
const port = await server.listen(config.WRENN_ENVD_LISTEN);
logger.info({ listener: "grpc", address: boundAddress(config.WRENN_ENVD_LISTEN, port), version: envdVersion, defaultUser }, "listening");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  const force = setTimeout(() => server.forceShutdown(), 3_000);
  await registry.killAll(1_000);
  await server.shutdown();
  clearTimeout(force);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
