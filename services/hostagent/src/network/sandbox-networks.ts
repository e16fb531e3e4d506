import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { errors, type Logger } from "@wrenn/shared";
import { createCleanupStack } from "../host/cleanup-stack.js";
import { createAddressPool, type LinkAddresses } from "./address-pool.js";
import { allowAll, normaliseCidrList, normaliseEgressPolicy, type EgressPolicy } from "./egress-policy.js";
import { createHostFirewall, type HostFirewall } from "./host-firewall.js";
import { createHostSide, createNamespaceSide, reapplyShape, removeLink, type GuestAddressing, type LinkShape } from "./netns-link.js";
import { cleanupStaleNetworks, linkPresent } from "./stale-networks.js";
import type { CleanupStack } from "../host/cleanup-stack.js";

export interface SandboxNetworksOptions {
  logger: Logger;
  /** Names: netns and host veth `<prefix>-<8 hex>`, nftables table `inet <prefix>`. Default "wrenn". */
  prefix?: string;
  /** Pool of /30 links between the host and the namespaces. Default 10.240.0.0/16. */
  pool?: string;
  /** Per-direction rate limit of each sandbox link, Mbit/s (0 = none). Default 200. */
  rateMbit?: number;
  /** txqueuelen of the veths and the TAP. Default 500. */
  txQueueLen?: number;
  /**
   * Destinations no sandbox may reach, whatever its policy: private and
   * link-local ranges (where the controlplane, the metadata service and the
   * host's neighbours live). Default: RFC 1918, 100.64/10, 169.254/16, multicast.
   */
  deniedCidrs?: string[];
  /** Policy of a sandbox when acquire() is given none. Default: the sandbox's own policy via this callback, else allow-all. */
  egressPolicyFor?: (sandboxId: string) => EgressPolicy | undefined;
}

export const defaultDeniedCidrs = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4"];

/** What a sandbox got; `address` is where the host reaches any of its ports. */
export interface SandboxNetworkInfo {
  sandboxId: string;
  /** Network namespace name (`ip netns exec <netns> …`). */
  netns: string;
  /** /run/netns/<netns>, for nsenter --net=. */
  netnsPath: string;
  /** Host-side veth name. */
  hostIf: string;
  /** The sandbox's address as seen from the host: envd and the port proxy connect here. */
  address: string;
  /** The host end of the link (the sandbox's gateway; unreachable from the sandbox). */
  hostAddress: string;
  egress: EgressPolicy;
}

export interface AcquiredNetwork extends SandboxNetworkInfo {
  /** Removes everything acquire made, newest first; idempotent. */
  release(): Promise<void>;
  /** What a restarted agent needs to adopt this network again (persist it). */
  record: NetworkRecord;
}

/** A sandbox's network as persisted in its directory, so a restarted agent can adopt it. */
export interface NetworkRecord extends SandboxNetworkInfo {
  /** Its /30 in the pool: reserved again on adoption so it is not handed out twice. */
  index: number;
  /** The namespace has a TAP (QEMU). */
  tap: boolean;
}

export interface AcquireOptions {
  /** QEMU: a TAP with the guest's gateway address and DNAT of `address` to the guest. */
  tap?: GuestAddressing;
  egress?: EgressPolicy;
  signal?: AbortSignal;
}

export interface SandboxNetworks {
  acquire(sandboxId: string, options?: AcquireOptions): Promise<AcquiredNetwork>;
  /** Replaces a live sandbox's egress policy atomically (existing connections are kept). */
  setEgressPolicy(sandboxId: string, policy: EgressPolicy): Promise<void>;
  /**
   * Takes over a network a previous run of the agent made for a sandbox that
   * is still alive: its addresses are reserved, its firewall chain rebuilt
   * (idempotent). Rejects when the namespace or its veth is gone.
   */
  adopt(record: NetworkRecord): Promise<AcquiredNetwork>;
  /**
   * At start, after every live sandbox was adopted: removes namespaces,
   * veths, processes and firewall chains of ours that nobody adopted.
   */
  removeStale(): Promise<void>;
  get(sandboxId: string): SandboxNetworkInfo | undefined;
  list(): SandboxNetworkInfo[];
  /** At agent shutdown, once every sandbox is gone: removes the host table so nothing of Wrenn stays in the host's firewall. */
  close(): Promise<void>;
  readonly prefix: string;
}

interface Entry {
  info: SandboxNetworkInfo;
  hash: string;
  release: () => Promise<void>;
}

/**
 * Per-sandbox network namespaces: a veth pair to the host with its own /30,
 * optionally a TAP for a VM, egress policy on the host, a rate limit both ways.
 * Everything a create made is undone on failure (LIFO) and on release.
 */
export function createSandboxNetworks(options: SandboxNetworksOptions): SandboxNetworks {
  const prefix = options.prefix ?? "wrenn";
  if (!/^[a-z][a-z0-9]{0,5}$/.test(prefix)) throw errors.invalidArgument(`network prefix "${prefix}" must be 1–6 lowercase letters/digits (interface names are limited to 15 bytes)`);
  const pool = createAddressPool(options.pool ?? "10.240.0.0/16");
  const deniedCidrs = normaliseCidrList("denied CIDRs", options.deniedCidrs ?? defaultDeniedCidrs);
  const shape: LinkShape = { rateMbit: options.rateMbit ?? 200, txQueueLen: options.txQueueLen ?? 500 };
  const firewall: HostFirewall = createHostFirewall(prefix);
  const entries = new Map<string, Entry>();
  const names = new Set<string>();
  let forwarding: Promise<void> | undefined;

  function enableForwarding(): Promise<void> {
    // The host routes between the sandbox veths and its uplink; the firewall
    // above decides what may actually pass.
    forwarding ??= writeFile("/proc/sys/net/ipv4/ip_forward", "1\n").catch((err) => {
      forwarding = undefined;
      throw err;
    });
    return forwarding;
  }

  async function acquire(sandboxId: string, acquireOptions: AcquireOptions = {}): Promise<AcquiredNetwork> {
    const { signal, tap } = acquireOptions;
    if (entries.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already has a network`);
    const egress = normaliseEgressPolicy(acquireOptions.egress ?? options.egressPolicyFor?.(sandboxId) ?? allowAll);
    // 32 bits of a hash: short enough for an interface name, and checked for
    // collisions among live sandboxes (a stale namespace makes "netns add" fail).
    const hash = createHash("sha256").update(sandboxId).digest("hex").slice(0, 8);
    const name = `${prefix}-${hash}`;
    if (names.has(name)) throw errors.alreadyExists(`network name ${name} is in use by another sandbox`);
    const log = options.logger.child({ sandboxId, netns: name });
    const stack = createCleanupStack(log);
    const started = performance.now();
    names.add(name);
    stack.push("forget name", () => void names.delete(name));
    try {
      signal?.throwIfAborted();
      await Promise.all([firewall.ensure(), enableForwarding()]);
      const addresses: LinkAddresses = pool.allocate();
      stack.push("free addresses", () => pool.free(addresses.index));
      const spec = { netns: name, hostIf: name, alias: sandboxId, addresses, shape, tap };
      // Registered before the attempt: a failure halfway through leaves a namespace that must go too.
      stack.push("remove veth and namespace", () => removeLink(name, name));
      await createHostSide(spec);
      signal?.throwIfAborted();
      await createNamespaceSide(spec);
      signal?.throwIfAborted();
      stack.push("remove firewall chain", () => firewall.removeSandbox(hash, name));
      await firewall.setSandbox({ hash, ifname: name, sandboxAddress: addresses.sandboxAddress, policy: egress, deniedCidrs });
      signal?.throwIfAborted();

      const info: SandboxNetworkInfo = {
        sandboxId,
        netns: name,
        netnsPath: `/run/netns/${name}`,
        hostIf: name,
        address: addresses.sandboxAddress,
        hostAddress: addresses.hostAddress,
        egress,
      };
      const release = releaser(sandboxId, name, stack.release(), log);
      entries.set(sandboxId, { info, hash, release });
      log.debug({ address: info.address, tap: tap !== undefined, ms: Math.round(performance.now() - started) }, "sandbox network ready");
      return { ...info, release, record: { ...info, index: addresses.index, tap: tap !== undefined } };
    } catch (err) {
      const failed = await stack.unwind();
      if (failed.length > 0) log.error({ failed }, "network setup unwound with failed steps");
      throw err;
    }
  }

  function releaser(sandboxId: string, name: string, steps: ReturnType<CleanupStack["release"]>, log: Logger): () => Promise<void> {
    let released: Promise<void> | undefined;
    return () => {
      released ??= (async () => {
        entries.delete(sandboxId);
        const undo = createCleanupStack(log);
        for (const step of steps) undo.push(step.name, step.undo);
        const failed = await undo.unwind();
        if (failed.length > 0) throw new Error(`releasing network ${name} failed at: ${failed.join(", ")}`);
        log.debug("sandbox network released");
      })();
      return released;
    };
  }

  async function adopt(record: NetworkRecord): Promise<AcquiredNetwork> {
    const { sandboxId, netns: name } = record;
    if (entries.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already has a network`);
    const hash = name.slice(prefix.length + 1);
    if (name !== `${prefix}-${hash}` || !/^[0-9a-f]{8}$/.test(hash)) throw new Error(`network ${name} does not belong to prefix ${prefix}`);
    if (!(await linkPresent(name))) throw new Error(`network ${name} of sandbox ${sandboxId} is gone`);
    const log = options.logger.child({ sandboxId, netns: name });
    const stack = createCleanupStack(log);
    try {
      pool.reserve(record.index);
      stack.push("free addresses", () => pool.free(record.index));
      names.add(name);
      stack.push("forget name", () => void names.delete(name));
      stack.push("remove veth and namespace", () => removeLink(name, name));
      await Promise.all([firewall.ensure(), enableForwarding()]);
      stack.push("remove firewall chain", () => firewall.removeSandbox(hash, name));
      const egress = normaliseEgressPolicy(record.egress);
      await firewall.setSandbox({ hash, ifname: name, sandboxAddress: record.address, policy: egress, deniedCidrs });
      await reapplyShape(name, record.hostIf, shape);
      const info: SandboxNetworkInfo = { sandboxId, netns: name, netnsPath: record.netnsPath, hostIf: record.hostIf, address: record.address, hostAddress: record.hostAddress, egress };
      const release = releaser(sandboxId, name, stack.release(), log);
      entries.set(sandboxId, { info, hash, release });
      return { ...info, release, record: { ...info, index: record.index, tap: record.tap } };
    } catch (err) {
      // Only our bookkeeping is undone: the namespace itself goes with the stale sweep.
      pool.free(record.index);
      names.delete(name);
      throw err;
    }
  }

  return {
    prefix,
    acquire,
    adopt,
    async removeStale() {
      await cleanupStaleNetworks({ logger: options.logger, prefix, keep: names, firewall });
    },
    async setEgressPolicy(sandboxId, policy) {
      const entry = entries.get(sandboxId);
      if (!entry) throw errors.notFound(`sandbox ${sandboxId} has no network`);
      const egress = normaliseEgressPolicy(policy);
      await firewall.setSandbox({ hash: entry.hash, ifname: entry.info.hostIf, sandboxAddress: entry.info.address, policy: egress, deniedCidrs });
      entry.info = { ...entry.info, egress };
    },
    get: (sandboxId) => entries.get(sandboxId)?.info,
    list: () => [...entries.values()].map((e) => e.info),
    async close() {
      // Sandboxes still holding networks keep the table (and their rules).
      if (entries.size === 0) await firewall.destroy();
    },
  };
}
