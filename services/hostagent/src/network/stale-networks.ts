import type { Logger } from "@wrenn/shared";
import { createHostFirewall } from "./host-firewall.js";
import { removeLink } from "./netns-link.js";
import { runCommand } from "./run-command.js";

export interface StaleCleanupOptions {
  logger: Logger;
  /** The prefix the agent's SandboxNetworks uses. Default "wrenn". */
  prefix?: string;
}

export interface StaleCleanupResult {
  namespaces: string[];
  links: string[];
  killedPids: number[];
}

/**
 * On agent start, before any sandbox is created: removes every namespace and
 * host veth named `<prefix>-<8 hex>` (ours, left by a previous run; the pool
 * is not persisted, so none can be reused), SIGKILLs processes still inside
 * those namespaces (a QEMU holding a TAP), and deletes the host table so the
 * first sandbox recreates it from the current code. Names that do not fit the
 * pattern (e.g. a test's `wrenn-test-inet`) are left alone.
 */
export async function cleanupStaleNetworks(options: StaleCleanupOptions): Promise<StaleCleanupResult> {
  const prefix = options.prefix ?? "wrenn";
  const ours = new RegExp(`^${prefix}-[0-9a-f]{8}$`);
  const result: StaleCleanupResult = { namespaces: [], links: [], killedPids: [] };

  const namespaces = (await runCommand(["ip", "netns", "list"]))
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => ours.test(name));
  for (const netns of namespaces) {
    const pids = (await runCommand(["ip", "netns", "pids", netns]).catch(() => ""))
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

  const links = (JSON.parse(await runCommand(["ip", "-j", "link", "show"])) as Array<{ ifname: string }>)
    .map((link) => link.ifname.split("@")[0] ?? "")
    .filter((name) => ours.test(name));
  for (const name of new Set([...namespaces, ...links])) {
    await removeLink(name, name);
    if (namespaces.includes(name)) result.namespaces.push(name);
    if (links.includes(name)) result.links.push(name);
  }

  await createHostFirewall(prefix).destroy();
  if (result.namespaces.length + result.links.length > 0) {
    options.logger.info(result, "removed stale sandbox networks from a previous run");
  }
  return result;
}
