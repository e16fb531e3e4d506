import { Channel, Client, credentials } from "@grpc/grpc-js";
import { createClient } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { setTimeout as sleep } from "node:timers/promises";
import { EnvdServiceDefinition, type InitRequest, type InitResponse } from "@wrenn/gen/wrenn/envd/v1/envd.js";

/**
 * The agent's connection to one sandbox's envd: a single grpc-js channel
 * shared by the typed control client (health, Init) and the relay's generic
 * byte-level client. Closed when the sandbox goes away.
 */
export interface EnvdConnection {
  /** Generic client for the relay (identity serializers are chosen per call). */
  readonly relayClient: Client;
  /** Resolves once envd's health service answers SERVING. */
  waitUntilServing(signal: AbortSignal): Promise<void>;
  init(request: InitRequest, signal: AbortSignal): Promise<InitResponse>;
  close(): void;
}

const maxMessageBytes = 16 * 1024 * 1024;
const healthAttemptMs = 1000;
const healthRetryMs = 50;

/** grpc.health.v1 HealthCheckResponse.ServingStatus.SERVING */
const serving = 1;

export function createEnvdConnection(target: string): EnvdConnection {
  const channel = new Channel(target, credentials.createInsecure(), {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    // A sandbox's envd is local: reconnect fast instead of grpc's 1 s+ backoff.
    "grpc.initial_reconnect_backoff_ms": 50,
    "grpc.max_reconnect_backoff_ms": 1000,
  });
  const relayClient = new Client(target, credentials.createInsecure(), { channelOverride: channel });
  const health = createClient(HealthDefinition, channel);
  const envd = createClient(EnvdServiceDefinition, channel);
  return {
    relayClient,
    async waitUntilServing(signal) {
      while (true) {
        signal.throwIfAborted();
        try {
          const attempt = AbortSignal.any([signal, AbortSignal.timeout(healthAttemptMs)]);
          const response = await health.check({ service: "" }, { signal: attempt });
          if ((response.status as number) === serving) return;
        } catch {
          // not up yet (or not serving): retry until the caller's signal aborts
        }
        await sleep(healthRetryMs, undefined, { signal }).catch(() => {});
      }
    },
    init(request, signal) {
      return envd.init(request, { signal });
    },
    close() {
      relayClient.close();
      channel.close();
    },
  };
}
