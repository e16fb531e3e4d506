import { execFile } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createChannel, createClient } from "nice-grpc";
import { SandboxServiceDefinition as HostSandboxService } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { Stack } from "@wrenn/devstack";

/**
 * What a sandbox leaves on the host, read the way an operator would: the
 * host agent's own list, the processes in /proc, the sandbox directory, and
 * (with per-sandbox networks) the named network namespaces and links.
 */

/** The sandbox ids the host agent itself reports (its ListSandboxes). */
export async function hostSandboxIds(stack: Stack): Promise<string[]> {
  const channel = createChannel(stack.hostagentAddress);
  try {
    const { sandboxes } = await createClient(HostSandboxService, channel).listSandboxes({});
    return sandboxes.map((s) => s.sandboxId);
  } finally {
    channel.close();
  }
}

/** Pids of the processes whose command line contains every one of `parts` (as whole arguments or inside one). */
export async function processesWith(...parts: string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline && parts.every((part) => cmdline.includes(part))) pids.push(Number(entry));
  }
  return pids;
}

/** The host agent's directory for one sandbox (namespace and QEMU runtimes alike). */
export function sandboxDir(stack: Stack, sandboxId: string): string {
  return join(stack.dataDir, "host", "sandboxes", sandboxId);
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

const run = promisify(execFile);

/**
 * Named network namespaces and host links whose name starts with
 * `<prefix>-` (the agent's WRENN_NETWORK_PREFIX), and the per-sandbox chains
 * (`sb-…`) of its nftables table `inet <prefix>` (no table: no chains).
 */
export async function networkTraces(prefix: string): Promise<{ netns: string[]; links: string[]; chains: string[] }> {
  const { stdout: ns } = await run("ip", ["netns", "list"]);
  const { stdout: links } = await run("ip", ["-o", "link", "show"]);
  const chains = await run("nft", ["list", "table", "inet", prefix]).then(
    (r) => r.stdout,
    () => "",
  );
  const named = (text: string, pick: (line: string) => string | undefined, start: string) =>
    text
      .split("\n")
      .map(pick)
      .filter((name): name is string => name !== undefined && name.startsWith(start));
  return {
    netns: named(ns, (line) => line.split(" ")[0], `${prefix}-`),
    // "12: wds-1a2b3c4d@if11: <…>" → "wds-1a2b3c4d"
    links: named(links, (line) => line.split(": ")[1]?.split("@")[0], `${prefix}-`),
    // "\tchain sb-1a2b3c4d {" → "sb-1a2b3c4d"
    chains: named(chains, (line) => /^\s*chain (\S+)/.exec(line)?.[1], "sb-"),
  };
}

/**
 * The sandbox's cgroup directories that exist: the agent nests them under its
 * own group in each v1 hierarchy, `<agent's group>/wrenn/<sandbox id>`.
 */
export async function cgroupsOf(agentPid: number, sandboxId: string): Promise<string[]> {
  const found: string[] = [];
  for (const line of (await readFile(`/proc/${agentPid}/cgroup`, "utf8")).split("\n")) {
    const [, controllers, path] = line.split(":");
    for (const controller of controllers?.split(",") ?? []) {
      if (!controller || controller.startsWith("name=")) continue;
      const dir = join("/sys/fs/cgroup", controller, path ?? "/", "wrenn", sandboxId);
      if (await exists(dir)) found.push(dir);
    }
  }
  return found;
}
