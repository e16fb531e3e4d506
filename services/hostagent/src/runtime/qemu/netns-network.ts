import { guestNetwork } from "../../image/guest-scripts.js";
import type { EgressPolicy } from "../../network/egress-policy.js";
import { tapName } from "../../network/netns-link.js";
import { createSandboxNetworks, type AcquiredNetwork, type NetworkRecord, type SandboxNetworks, type SandboxNetworksOptions } from "../../network/sandbox-networks.js";
import type { SandboxNetwork, SandboxNetworkProvider } from "./network.js";

// The QEMU side of the per-sandbox namespaces: it lives with the runtime whose
// interface (SandboxNetworkProvider) it implements, so network/ never imports runtime/.

/** A SandboxNetworkProvider for the QEMU runtime that also exposes the networks it manages. */
export interface NetnsNetworkProvider extends SandboxNetworkProvider {
  (sandboxId: string, signal?: AbortSignal, request?: { egress?: EgressPolicy }): Promise<SandboxNetwork>;
  readonly networks: SandboxNetworks;
  adopt(record: NetworkRecord): Promise<SandboxNetwork>;
}

/**
 * QEMU in a per-sandbox namespace: QEMU runs there (`wrap`) on a TAP whose
 * address is the guest's gateway; the host reaches envd (and every other guest
 * port) at `<namespace address>:<port>`, DNAT'd to the guest. The template must
 * be booted through the same provider (a TAP snapshot cannot restore on slirp).
 */
export function createNetnsNetworkProvider(options: SandboxNetworksOptions | { networks: SandboxNetworks }): NetnsNetworkProvider {
  const networks = "networks" in options ? options.networks : createSandboxNetworks(options);
  const provider = async (sandboxId: string, signal?: AbortSignal, request?: { egress?: EgressPolicy }): Promise<SandboxNetwork> => {
    const net = await networks.acquire(sandboxId, {
      signal,
      egress: request?.egress,
      tap: { address: guestNetwork.address, gateway: guestNetwork.gateway, prefix: guestNetwork.prefix },
    });
    return forQemu(net);
  };
  const adopt = async (record: NetworkRecord) => forQemu(await networks.adopt(record));
  return Object.assign(provider, { networks, adopt });
}

function forQemu(net: AcquiredNetwork): SandboxNetwork {
  return {
    net: { kind: "tap", ifname: tapName },
    wrap: ["ip", "netns", "exec", net.netns],
    envdTarget: `${net.address}:${guestNetwork.envdPort}`,
    release: net.release,
    record: net.record,
  };
}
