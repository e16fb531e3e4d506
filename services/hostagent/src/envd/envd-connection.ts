import { Channel, Client, credentials, InterceptingCall, type Interceptor } from "@grpc/grpc-js";
import { createClientFactory, Metadata, type Client as TypedClient, type ClientMiddleware, type CompatServiceDefinition } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { setTimeout as sleep } from "node:timers/promises";
import { EnvdServiceDefinition, type InitRequest, type InitResponse } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { accessTokenMetadataKey } from "@wrenn/shared";

/**
 * The agent's connection to one envd (a sandbox's, or a template's before
 * its snapshot): a single grpc-js channel shared by the typed control client
 * (health, Init, snapshot hooks), any other typed client, and the relay's
 * generic byte-level client. Every call carries envd's access token
 * (x-access-token), which callers of the relay never see. Closed when the
 * sandbox goes away or its VM is paused, and before a template's snapshot.
 */
export interface EnvdConnection {
  /** Generic client for the relay (identity serializers are chosen per call). */
  readonly relayClient: Client;
  /** Resolves once envd's health service answers SERVING. */
  waitUntilServing(signal: AbortSignal): Promise<void>;
  /** Init; on success later calls present `request.accessToken` (when set). */
  init(request: InitRequest, signal: AbortSignal): Promise<InitResponse>;
  prepareSnapshot(signal: AbortSignal): Promise<void>;
  afterRestore(signal: AbortSignal): Promise<void>;
  /** A typed client of another envd service on this channel, carrying the token like every call. */
  client<Service extends CompatServiceDefinition>(definition: Service): TypedClient<Service>;
  close(): void;
}

const maxMessageBytes = 16 * 1024 * 1024;
const healthAttemptMs = 1000;
const healthRetryMs = 50;

/** grpc.health.v1 HealthCheckResponse.ServingStatus.SERVING */
const serving = 1;

/** `token`: what envd requires now (undefined before the first Init set one). */
export function createEnvdConnection(target: string, token?: string): EnvdConnection {
  let current = token;
  const channel = new Channel(target, credentials.createInsecure(), {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    // A sandbox's envd is local: reconnect fast instead of grpc's 1 s+ backoff.
    "grpc.initial_reconnect_backoff_ms": 50,
    "grpc.max_reconnect_backoff_ms": 1000,
  });
  // Replaces whatever token a relay caller sent: only the agent knows it.
  const withToken: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.remove(accessTokenMetadataKey);
        if (current) metadata.set(accessTokenMetadataKey, current);
        next(metadata, listener);
      },
    });
  const relayClient = new Client(target, credentials.createInsecure(), { channelOverride: channel, interceptors: [withToken] });
  const presentToken: ClientMiddleware = (call, options) => {
    const metadata = Metadata(options.metadata);
    if (current) metadata.set(accessTokenMetadataKey, current);
    return call.next(call.request, { ...options, metadata });
  };
  const clients = createClientFactory().use(presentToken);
  const health = clients.create(HealthDefinition, channel);
  const envd = clients.create(EnvdServiceDefinition, channel);
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
    async init(request, signal) {
      const response = await envd.init(request, { signal });
      if (request.accessToken) current = request.accessToken;
      return response;
    },
    async prepareSnapshot(signal) {
      await envd.prepareSnapshot({}, { signal });
    },
    async afterRestore(signal) {
      await envd.afterRestore({ nowUnixMs: Date.now() }, { signal });
    },
    client: (definition) => clients.create(definition, channel),
    close() {
      relayClient.close();
      channel.close();
    },
  };
}

/** Resolves once envd at `target` answers its health check, over a connection of its own that it then closes. */
export async function waitEnvdServing(target: string, signal: AbortSignal): Promise<void> {
  const connection = createEnvdConnection(target);
  try {
    await connection.waitUntilServing(signal);
  } finally {
    connection.close();
  }
}
