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
import type { ControlPlaneConfig } from "../../src/config.js";
import type { ControlPlaneExtension } from "../../src/extensions.js";
import { runControlPlane, type RunningControlPlane } from "../../src/run-control-plane.js";

export interface TestControlPlane {
  running: RunningControlPlane;
  sandboxes: SandboxServiceClient;
  processes: ProcessServiceClient;
  files: FilesystemServiceClient;
  /** Every log line the controlplane wrote, for checks like "no secret was logged". */
  logs: string[];
  close(): Promise<void>;
}

/** A controlplane on port 0 with gRPC clients, its log lines also collected in memory. */
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
  return {
    running,
    sandboxes: createClient(SandboxServiceDefinition, channel),
    processes: createClient(ProcessServiceDefinition, channel),
    files: createClient(FilesystemServiceDefinition, channel),
    logs,
    async close() {
      channel.close();
      await running.stop();
    },
  };
}
