import { testDatabaseUrl } from "./test-database.js";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { createChannel, createClient, type Channel } from "nice-grpc";
import { createLogger } from "@wrenn/shared";
import { SandboxServiceDefinition, type SandboxServiceClient } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { ProcessServiceDefinition, type ProcessServiceClient } from "@wrenn/gen/wrenn/api/v1/process.js";
import { FilesystemServiceDefinition, type FilesystemServiceClient } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import { PortServiceDefinition, type PortServiceClient } from "@wrenn/gen/wrenn/api/v1/port.js";
import type { ControlPlaneConfig } from "../../src/config.js";
import type { ControlPlaneExtension } from "../../src/extensions.js";
import { runControlPlane, type RunningControlPlane } from "../../src/run-control-plane.js";
import { createTestTeam, withApiKey, type TestTeam } from "./test-team.js";

/** The public API's clients, every call carrying one API key (or none). */
export interface TestClients {
  sandboxes: SandboxServiceClient;
  processes: ProcessServiceClient;
  files: FilesystemServiceClient;
  ports: PortServiceClient;
}

/** A team of its own (a user who owns it and an API key) with clients that call as that key. */
export type TestTeamClients = TestTeam & TestClients;

export interface TestControlPlane extends TestClients {
  running: RunningControlPlane;
  /** The team the default clients act for, its owner and its key. */
  teamId: string;
  userId: string;
  apiKey: string;
  keyPrefix: string;
  /** Another team, with clients of its own: for tenancy tests. */
  newTeam(name?: string): Promise<TestTeamClients>;
  /** Clients carrying `apiKey` as a bearer token, or no credential at all when it is unset. */
  clientsWith(apiKey?: string): TestClients;
  /** Every log line the controlplane wrote, for checks like "no secret was logged". */
  logs: string[];
  close(): Promise<void>;
}

/**
 * A controlplane on port 0, its log lines also collected in memory, with a
 * fresh team whose API key every default client carries (auth is always on).
 */
export async function startTestControlPlane(
  overrides: Partial<ControlPlaneConfig> & { hostAgentUrl: string },
  extensions: ControlPlaneExtension[] = [],
): Promise<TestControlPlane> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger("controlplane-test", { level: "info", destinations: [sink] });
  const config: ControlPlaneConfig = {
    grpcListen: { host: "127.0.0.1", port: 0 },
    databaseUrl: testDatabaseUrl,
    redisUrl: process.env.REDIS_URL,
    dataDir: await mkdtemp(join(tmpdir(), "wrenn-cp-test-")),
    logLevel: "info",
    eventsStream: `wrenn-test:${randomUUID()}`,
    ...overrides,
  };
  const running = await runControlPlane({
    config,
    logger,
    extensions,
    lifecycle: { startTimeoutSeconds: 10, waitTimeoutMs: 10_000 },
    redeliverAfterMs: 500,
  });
  const channel: Channel = createChannel(running.grpcAddress);
  const clientsWith = (apiKey?: string): TestClients => {
    const options = apiKey === undefined ? {} : withApiKey(apiKey);
    return {
      sandboxes: createClient(SandboxServiceDefinition, channel, options),
      processes: createClient(ProcessServiceDefinition, channel, options),
      files: createClient(FilesystemServiceDefinition, channel, options),
      ports: createClient(PortServiceDefinition, channel, options),
    };
  };
  const newTeam = async (name?: string): Promise<TestTeamClients> => {
    const team = await createTestTeam(running.context.pool, name);
    return { ...team, ...clientsWith(team.apiKey) };
  };
  const own = await newTeam();
  return {
    ...own,
    running,
    newTeam,
    clientsWith,
    logs,
    async close() {
      channel.close();
      await running.stop();
    },
  };
}
