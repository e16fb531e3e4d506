import { createServer } from "node:net";
import { userNetForEnvd } from "./machine-spec.js";
import type { NetSpec } from "./qemu-args.js";
import type { EgressPolicy } from "../../network/egress-policy.js";
import type { NetworkRecord } from "../../network/sandbox-networks.js";
import type { PortReach } from "../runtime.js";

/**
 * How a sandbox VM gets its network. The default gives each VM QEMU user
 * networking with envd forwarded to a loopback port (no namespaces needed,
 * guest isolated from the host by restrict=on). The host agent replaces it
 * with createNetnsNetworkProvider (netns-network.ts, over src/network/): a namespace per sandbox with
 * a TAP, envd at `<namespace address>:49983`, egress policy on the host; QEMU
 * then runs inside the namespace through `wrap`. A template must be booted
 * through the same kind of provider as its sandboxes (slirp state is in the
 * snapshot; restore refuses a mismatch).
 */
export interface SandboxNetwork {
  net: NetSpec;
  /** Command prefix that runs QEMU in the right place, e.g. ["ip", "netns", "exec", "wrenn-sb-…"]. */
  wrap?: string[];
  /** envd's gRPC target as seen from the host. */
  envdTarget: string;
  /** Undoes whatever the provider set up (namespace, TAP, port). */
  release(): Promise<void>;
  /** Persisted with the sandbox so a restarted agent can adopt the network (absent: nothing to adopt). */
  record?: NetworkRecord;
}

export type SandboxNetworkProvider = ((
  sandboxId: string,
  signal?: AbortSignal,
  request?: { egress?: EgressPolicy },
) => Promise<SandboxNetwork>) & {
  /** Takes over the network of a sandbox a previous agent run started (see SandboxNetworks.adopt). */
  adopt?: (record: NetworkRecord) => Promise<SandboxNetwork>;
};

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export const userNetworkProvider: SandboxNetworkProvider = async () => {
  const port = await freeLoopbackPort();
  return { net: userNetForEnvd(port), envdTarget: `127.0.0.1:${port}`, release: async () => {} };
};

/**
 * A VM in a namespace is reached at the namespace address, which the host
 * DNATs to the guest (every port). User networking forwards envd's port only.
 */
export function vmPorts(network: NetworkRecord | undefined): PortReach | undefined {
  return network ? { kind: "address", host: network.address } : undefined;
}
