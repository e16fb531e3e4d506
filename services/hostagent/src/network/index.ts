export { createSandboxNetworks, defaultDeniedCidrs, type SandboxNetworks, type SandboxNetworksOptions, type SandboxNetworkInfo, type AcquiredNetwork, type AcquireOptions, type NetworkRecord } from "./sandbox-networks.js";
export { createNamespaceNetworkProvider, type NamespaceNetworkProvider, type NamespaceSandboxNetwork } from "./netns-provider.js";
export { cleanupStaleNetworks, type StaleCleanupOptions, type StaleCleanupResult } from "./stale-networks.js";
export { normaliseEgressPolicy, allowAll, type EgressPolicy } from "./egress-policy.js";
export { createAddressPool, type AddressPool, type LinkAddresses } from "./address-pool.js";
