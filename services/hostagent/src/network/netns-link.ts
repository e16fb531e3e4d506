import type { LinkAddresses } from "./address-pool.js";
import { isMissing, netCommand, runScript } from "./net-command.js";

/** The guest side every clone shares (see src/image/guest-scripts.ts). */
export interface GuestAddressing {
  address: string;
  /** The TAP's address: the guest's default gateway. */
  gateway: string;
  prefix: number;
}

export interface LinkShape {
  /** Token-bucket rate per direction, Mbit/s; 0 disables shaping. */
  rateMbit: number;
  txQueueLen: number;
}

/** Interface names inside every sandbox namespace (fixed: the namespace tells sandboxes apart). */
export const nsVeth = "eth0";
export const tapName = "tap0";
/**
 * Fixed MAC of the TAP: the guest's ARP cache (saved in every snapshot) maps
 * its gateway to this address, so a restored clone talks to its new TAP at once.
 */
export const tapMac = "52:54:00:a9:00:16";

export interface LinkSpec {
  netns: string;
  hostIf: string;
  /** Full sandbox id, stored as the host veth's alias so a stale link can be traced. */
  alias: string;
  addresses: LinkAddresses;
  shape: LinkShape;
  /** QEMU: a TAP for the VM and DNAT of the namespace address to the guest. */
  tap?: GuestAddressing;
}

function tbf(dev: string, mbit: number): string {
  // Burst of ~10 ms at the rate (at least 32 KiB): small enough to bound
  // latency, large enough for the kernel timer granularity.
  const burstKiB = Math.max(32, Math.ceil((mbit * 1e6) / 8 / 100 / 1024));
  return `tc qdisc replace dev ${dev} root tbf rate ${mbit}mbit burst ${burstKiB}kb latency 50ms`;
}

/**
 * Host side: the namespace, the veth pair, the host address and the shaper
 * for traffic into the sandbox. One shell so a create costs few processes.
 */
export async function createHostSide(spec: LinkSpec): Promise<void> {
  const { netns, hostIf, addresses, shape } = spec;
  await runScript(
    [
      `ip netns add ${netns}`,
      `ip link add ${hostIf} txqueuelen ${shape.txQueueLen} type veth peer name ${nsVeth} netns ${netns}`,
      `ip link set ${hostIf} alias '${spec.alias}'`,
      `echo 1 > /proc/sys/net/ipv6/conf/${hostIf}/disable_ipv6`,
      `ip addr add ${addresses.hostAddress}/30 dev ${hostIf}`,
      `ip link set ${hostIf} up`,
      ...(shape.rateMbit > 0 ? [tbf(hostIf, shape.rateMbit)] : []),
    ].join("\n"),
  );
}

/**
 * Re-applies the bandwidth cap on both ends of an existing link (an adopted
 * sandbox after an agent restart): `tc qdisc replace` is idempotent, and a
 * changed WRENN_SANDBOX_RATE_MBIT takes effect; 0 removes the cap.
 */
export async function reapplyShape(netns: string, hostIf: string, shape: LinkShape): Promise<void> {
  const apply = (dev: string) => (shape.rateMbit > 0 ? tbf(dev, shape.rateMbit) : `tc qdisc del dev ${dev} root 2>/dev/null || true`);
  await runScript(apply(hostIf));
  await runScript(apply(nsVeth), netns);
}

/**
 * Namespace side: addresses, routes, forwarding, the TAP and the namespace's
 * own nftables table (DNAT of the namespace address to the guest, SNAT of the
 * guest's traffic, the guest kept off the namespace itself). These rules die
 * with the namespace. The egress policy lives on the host, not here.
 */
export async function createNamespaceSide(spec: LinkSpec): Promise<void> {
  const { addresses, shape, tap } = spec;
  const lines = [
    "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6",
    "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
    "ip link set lo up",
    `ip link set ${nsVeth} txqueuelen ${shape.txQueueLen}`,
    `ip addr add ${addresses.sandboxAddress}/30 dev ${nsVeth}`,
    `ip link set ${nsVeth} up`,
    `ip route add default via ${addresses.hostAddress} dev ${nsVeth}`,
    ...(shape.rateMbit > 0 ? [tbf(nsVeth, shape.rateMbit)] : []),
  ];
  if (tap) {
    lines.push(
      "echo 1 > /proc/sys/net/ipv4/ip_forward",
      `ip tuntap add dev ${tapName} mode tap`,
      `ip link set ${tapName} address ${tapMac} txqueuelen ${shape.txQueueLen}`,
      `ip addr add ${tap.gateway}/${tap.prefix} dev ${tapName}`,
      `ip link set ${tapName} up`,
      `nft -f - <<'EOF'
table ip wrenn {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "${nsVeth}" ip daddr ${addresses.sandboxAddress} dnat to ${tap.address}
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${nsVeth}" ip saddr ${tap.address} masquerade
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${tapName}" ct state established,related accept
    iifname "${tapName}" drop
  }
}
EOF`,
    );
  }
  await runScript(lines.join("\n"), spec.netns);
}

/**
 * Deletes the veth (both ends go together, even if a process still pins the
 * namespace) and then the namespace, whose TAP and rules go with it. Safe to
 * call again.
 */
export async function removeLink(netns: string, hostIf: string): Promise<void> {
  try {
    await netCommand(["ip", "link", "del", hostIf]);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  try {
    await netCommand(["ip", "netns", "del", netns]);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}
