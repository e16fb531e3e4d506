import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, statfs, writeFile } from "node:fs/promises";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { join } from "node:path";

/** What the agent tells the controlplane about this machine. */
export interface HostInfo {
  hostId: string;
  runtime: string;
  cpuCount: number;
  memoryBytes: number;
  templates: string[];
  version: string;
  /** "host:port" of the port tunnel (proxy/), once it listens. */
  portProxyAddress?: string;
}

export const agentVersion: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * The host id survives restarts: generated once as "host-" + 32 hex and kept
 * in the data dir, unless configured explicitly.
 */
export async function loadOrCreateHostId(dataDir: string, configured?: string): Promise<string> {
  if (configured) return configured;
  const file = join(dataDir, "host-id");
  const existing = await readFile(file, "utf8").then(
    (text) => text.trim(),
    () => "",
  );
  if (/^host-[0-9a-f]{32}$/.test(existing)) return existing;
  const id = `host-${randomBytes(16).toString("hex")}`;
  await writeFile(file, `${id}\n`, { mode: 0o644 });
  return id;
}

/** What the host has left, for the controlplane's placement; measured on each heartbeat. */
export interface HostCapacity {
  freeMemoryBytes: number;
  loadAverage: number;
  diskFreeBytes: number;
  sandboxCount: number;
  sandboxMemoryBytes: number;
}

export interface DescribeHostOptions {
  hostId: string;
  runtime: string;
  templates: () => string[];
  portProxyAddress?: string;
  /** Where disks, snapshots and templates live: its file system's free space is reported. */
  dataDir: string;
  /** The sandboxes the agent lists (running and paused), with the memory each was given. */
  sandboxes: () => { state: "running" | "paused"; resources: { memoryMiB: number } }[];
}

export function describeHost(options: DescribeHostOptions): () => Promise<HostInfo & HostCapacity> {
  return async () => {
    const sandboxes = options.sandboxes();
    const [freeMemoryBytes, diskFreeBytes] = await Promise.all([availableMemoryBytes(), freeDiskBytes(options.dataDir)]);
    return {
      portProxyAddress: options.portProxyAddress,
      hostId: options.hostId,
      runtime: options.runtime,
      cpuCount: cpus().length,
      memoryBytes: totalmem(),
      templates: options.templates(),
      version: agentVersion,
      freeMemoryBytes,
      loadAverage: loadavg()[0] ?? 0,
      diskFreeBytes,
      sandboxCount: sandboxes.length,
      sandboxMemoryBytes: sandboxes.filter((s) => s.state === "running").reduce((sum, s) => sum + s.resources.memoryMiB * 1024 * 1024, 0),
    };
  };
}

/**
 * MemAvailable from /proc/meminfo: free memory plus the page cache the kernel
 * can drop, which is what a new VM can really use (MemFree alone reads near
 * zero on a busy host). os.freemem() where /proc is not there.
 */
async function availableMemoryBytes(): Promise<number> {
  const text = await readFile("/proc/meminfo", "utf8").catch(() => "");
  const match = /^MemAvailable:\s+(\d+) kB$/m.exec(text);
  return match ? Number(match[1]) * 1024 : freemem();
}

async function freeDiskBytes(dir: string): Promise<number> {
  const stats = await statfs(dir).catch(() => undefined);
  return stats ? stats.bavail * stats.bsize : 0;
}
