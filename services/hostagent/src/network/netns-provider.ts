import type { EgressPolicy } from "./egress-policy.js";
import { createSandboxNetworks, type NetworkRecord, type SandboxNetworks, type SandboxNetworksOptions } from "./sandbox-networks.js";

/** What the namespace runtime needs: a namespace to run bwrap in, and its address. */
export interface NamespaceSandboxNetwork {
  /** /run/netns/<name>: bwrap runs under `nsenter --net=<netnsPath>`. */
  netnsPath: string;
  address: string;
  release(): Promise<void>;
  /** Persisted with the sandbox so a restarted agent can adopt the network. */
  record: NetworkRecord;
}

export type NamespaceNetworkProvider = ((
  sandboxId: string,
  signal?: AbortSignal,
  request?: { egress?: EgressPolicy },
) => Promise<NamespaceSandboxNetwork>) & { adopt?: (record: NetworkRecord) => Promise<NamespaceSandboxNetwork> };

/** The namespace runtime's provider: the same namespaces and policy, no TAP (the sandbox's processes use the veth directly). */
export function createNamespaceNetworkProvider(options: SandboxNetworksOptions | { networks: SandboxNetworks }): NamespaceNetworkProvider & { networks: SandboxNetworks } {
  const networks = "networks" in options ? options.networks : createSandboxNetworks(options);
  const provider = async (sandboxId: string, signal?: AbortSignal, request?: { egress?: EgressPolicy }): Promise<NamespaceSandboxNetwork> => {
    const net = await networks.acquire(sandboxId, { signal, egress: request?.egress });
    return { netnsPath: net.netnsPath, address: net.address, release: net.release, record: net.record };
  };
  const adopt = async (record: NetworkRecord): Promise<NamespaceSandboxNetwork> => {
    const net = await networks.adopt(record);
    return { netnsPath: net.netnsPath, address: net.address, release: net.release, record: net.record };
  };
  return Object.assign(provider, { networks, adopt });
}
