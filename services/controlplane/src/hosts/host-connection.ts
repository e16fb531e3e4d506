import { Channel, connectivityState, credentials, type ChannelOptions } from "@grpc/grpc-js";
import { createChannel, createClient } from "nice-grpc";
import {
  SandboxServiceDefinition,
  type SandboxServiceClient,
} from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { ProcessServiceDefinition, type ProcessServiceClient } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { FilesystemServiceDefinition, type FilesystemServiceClient } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { EnvdServiceDefinition, type EnvdServiceClient } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { BuildServiceDefinition, type BuildServiceClient } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import { CredentialsServiceDefinition, type CredentialsServiceClient } from "@wrenn/gen/wrenn/hostagent/v1/credentials.js";
import { mutualTlsChannelCredentials, type TlsIdentity } from "@wrenn/shared/pki/index";

/** How a registered host is dialled: this copy's client certificate, and the name the host's certificate must carry. */
export interface HostTls {
  identity: TlsIdentity;
  serverName: string;
}

/**
 * The long-lived connections to one host agent. Control calls (create,
 * destroy, list) and relayed envd streams (process output, file transfers)
 * use two separate channels, each with its own subchannel pool, so a big file
 * transfer or a chatty process can't hold up lifecycle calls through HTTP/2
 * flow control on a shared connection.
 */
export interface HostConnection {
  address: string;
  sandboxes: SandboxServiceClient;
  /** Template builds; on the streams channel, since an archive upload is bulk data. */
  builds: BuildServiceClient;
  process: ProcessServiceClient;
  filesystem: FilesystemServiceClient;
  /** Only ListPorts and WatchPorts: the agent relays no other EnvdService call. */
  ports: Pick<EnvdServiceClient, "listPorts" | "watchPorts">;
  /** Certificate rotation; only registered (mutual TLS) hosts serve it. */
  credentials: CredentialsServiceClient;
  /** Set for a registered host. */
  tls?: HostTls;
  /**
   * Resolves once the control channel is connected, or when `signal` aborts
   * (whichever comes first; it never rejects). grpc-js fails a call at once
   * while its channel waits out a reconnect backoff, so a lifecycle call sent
   * just after a host agent restart would fail although the agent is back.
   */
  controlReady(signal: AbortSignal): Promise<void>;
  close(): void;
}

const channelOptions: ChannelOptions = {
  // Without this grpc-js shares one subchannel between channels to the same target.
  "grpc.use_local_subchannel_pool": 1,
  "grpc.keepalive_time_ms": 20_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  // A restarted host agent is found again within seconds (grpc-js would back off up to two minutes).
  "grpc.initial_reconnect_backoff_ms": 250,
  "grpc.max_reconnect_backoff_ms": 5_000,
  "grpc.max_receive_message_length": 16 * 1024 * 1024,
  "grpc.max_send_message_length": 16 * 1024 * 1024,
};

function openChannel(address: string, tls?: HostTls): Channel {
  if (tls) {
    // The SNI and the name checked are the host's DNS name, not the (often numeric) address dialled.
    const options = { ...channelOptions, "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName };
    return createChannel(address, mutualTlsChannelCredentials(tls.identity, tls.serverName), options);
  }
  // nice-grpc's address parser only knows host:port; grpc-js itself takes unix: targets.
  if (address.startsWith("unix:")) return new Channel(address, credentials.createInsecure(), channelOptions);
  return createChannel(address, credentials.createInsecure(), channelOptions);
}

/** Waits for `channel` to be READY (asking it to connect), until `signal` aborts. */
async function whenReady(channel: Channel, signal: AbortSignal): Promise<void> {
  for (;;) {
    const state = channel.getConnectivityState(true);
    if (state === connectivityState.READY || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      // A deadline of its own only so the watch does not outlive a long wait; the loop looks again.
      channel.watchConnectivityState(state, Date.now() + 1_000, done);
    });
  }
}

export function createHostConnection(address: string, tls?: HostTls): HostConnection {
  const control = openChannel(address, tls);
  const streams = openChannel(address, tls);
  return {
    address,
    tls,
    credentials: createClient(CredentialsServiceDefinition, control),
    controlReady: (signal) => whenReady(control, signal),
    sandboxes: createClient(SandboxServiceDefinition, control),
    builds: createClient(BuildServiceDefinition, streams),
    process: createClient(ProcessServiceDefinition, streams),
    filesystem: createClient(FilesystemServiceDefinition, streams),
    ports: createClient(EnvdServiceDefinition, streams),
    close() {
      control.close();
      streams.close();
    },
  };
}
