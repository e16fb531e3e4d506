import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { createChannel, createClient, Metadata, type Channel } from "nice-grpc";
import { createLogger } from "@wrenn/shared";
import { AccountServiceDefinition, type AccountServiceClient } from "@wrenn/gen/wrenn/api/v1/account.js";
import { ApiKeyServiceDefinition, type ApiKeyServiceClient } from "@wrenn/gen/wrenn/api/v1/api_key.js";
import type { ControlPlaneConfig } from "../../src/config.js";
import { runControlPlane, type RunningControlPlane } from "../../src/run-control-plane.js";

/** A controlplane with its HTTP gateway, both on port 0, and its log lines kept (to check what auth logs). */
export interface IdentityStack {
  running: RunningControlPlane;
  /** "http://127.0.0.1:port" */
  httpUrl: string;
  logs: string[];
  /** Clients whose every call carries `metadata` (none: no credential). */
  clients(metadata?: Record<string, string>): { account: AccountServiceClient; apiKeys: ApiKeyServiceClient };
  close(): Promise<void>;
}

export async function startIdentityStack(config: Partial<ControlPlaneConfig> & { databaseUrl: string; hostAgentUrl: string }): Promise<IdentityStack> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const running = await runControlPlane({
    config: {
      grpcListen: { host: "127.0.0.1", port: 0 },
      httpListen: { host: "127.0.0.1", port: 0 },
      dataDir: await mkdtemp(join(tmpdir(), "wrenn-identity-test-")),
      logLevel: "info",
      eventsStream: `wrenn-test:${randomUUID()}`,
      redisUrl: process.env.REDIS_URL,
      ...config,
    },
    logger: createLogger("identity-test", { level: "info", destinations: [sink] }),
  });
  const channels: Channel[] = [];
  return {
    running,
    httpUrl: `http://${running.httpAddress}`,
    logs,
    clients(metadata = {}) {
      const channel = createChannel(running.grpcAddress);
      channels.push(channel);
      const options = { "*": { metadata: Metadata(metadata) } };
      return { account: createClient(AccountServiceDefinition, channel, options), apiKeys: createClient(ApiKeyServiceDefinition, channel, options) };
    },
    async close() {
      for (const channel of channels) channel.close();
      await running.stop();
    },
  };
}

/** The status of a call that must fail. */
export async function failure(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error("expected the call to fail");
}
