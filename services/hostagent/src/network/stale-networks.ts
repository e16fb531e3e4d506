import { access } from "node:fs/promises";
import type { Logger } from "@wrenn/shared";
import { createHostFirewall, type HostFirewall } from "./host-firewall.js";
import { removeLink } from "./netns-link.js";
import { netCommand } from "./net-command.js";

export interface StaleCleanupOptions {
  logger: Logger;
  /** The prefix the agent's SandboxNetworks uses. Default "wrenn". */
  prefix?: string;
  /** Names (`<prefix>-<8 hex>`) of networks adopted by this run: left alone, with their firewall chains. */
  keep?: ReadonlySet<string>;
  firewall?: HostFirewall;
}

export interface StaleCleanupResult {
  namespaces: string[];
  links: string[];
  killedPids: number[];
  chains: string[];
}

/**
 * On agent start, after live sandboxes were adopted: removes every namespace
 * and host veth named `<prefix>-<8 hex>` that nobody adopted (its sandbox is
 * dead), SIGKILLs processes still inside those namespaces (a QEMU holding a
 * TAP), and removes the firewall chains of networks that are not kept. When
 * something was adopted the host table stays (those sandboxes depend on it;
 * their chains were rebuilt on adoption); otherwise it is deleted so the
 * first sandbox recreates it from the current code. Names that do not fit the pattern (e.g. a
 * test's `wrenn-test-inet`) are left alone.
 */
export async function cleanupStaleNetworks(options: StaleCleanupOptions): Promise<StaleCleanupResult> {
  const prefix = options.prefix ?? "wrenn";
  const keep = options.keep ?? new Set<string>();
  const ours = new RegExp(`^${prefix}-[0-9a-f]{8}$`);
  const result: StaleCleanupResult = { namespaces: [], links: [], killedPids: [], chains: [] };

  const namespaces = (await netCommand(["ip", "netns", "list"]))
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => ours.test(name) && !keep.has(name));
  for (const netns of namespaces) {
    const pids = (await netCommand(["ip", "netns", "pids", netns]).catch(() => ""))
      .split(/\s+/)
      .filter((p) => /^\d+$/.test(p))
      .map(Number)
      .filter((pid) => pid !== process.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        result.killedPids.push(pid);
      } catch {
        // already gone
      }
    }
  }

  const links = (JSON.parse(await netCommand(["ip", "-j", "link", "show"])) as Array<{ ifname: string }>)
    .map((link) => link.ifname.split("@")[0] ?? "")
    .filter((name) => ours.test(name) && !keep.has(name));
  for (const name of new Set([...namespaces, ...links])) {
    await removeLink(name, name);
    if (namespaces.includes(name)) result.namespaces.push(name);
    if (links.includes(name)) result.links.push(name);
  }

  const firewall = options.firewall ?? createHostFirewall(prefix);
  if (keep.size === 0) {
    // Nothing adopted: start from a table made by the current code.
    await firewall.destroy();
    if (result.namespaces.length + result.links.length > 0) options.logger.info(result, "removed stale sandbox networks from a previous run");
    return result;
  }
  const keptHashes = new Set([...keep].map((name) => name.slice(prefix.length + 1)));
  for (const hash of await sandboxChains(firewall.table)) {
    if (keptHashes.has(hash)) continue;
    await firewall.removeSandbox(hash, `${prefix}-${hash}`);
    result.chains.push(hash);
  }
  if (result.namespaces.length + result.links.length + result.chains.length > 0) {
    options.logger.info(result, "removed stale sandbox networks from a previous run");
  }
  return result;
}

/** Hashes of the `sb-<hash>` chains in the host table (none when the table is absent). */
async function sandboxChains(table: string): Promise<string[]> {
  const text = await netCommand(["nft", "list", "table", ...table.split(" ")]).catch(() => "");
  return [...text.matchAll(/chain sb-([0-9a-f]{8}) \{/g)].map((m) => m[1]!);
}

/** The namespace and its host veth both exist. */
export async function linkPresent(name: string): Promise<boolean> {
  const exists = (path: string) => access(path).then(() => true, () => false);
  return (await exists(`/run/netns/${name}`)) && (await exists(`/sys/class/net/${name}`));
}
