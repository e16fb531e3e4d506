import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
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

export function describeHost(hostId: string, runtime: string, templates: () => string[], portProxyAddress?: string): () => HostInfo {
  return () => ({
    portProxyAddress,
    hostId,
    runtime,
    cpuCount: cpus().length,
    memoryBytes: totalmem(),
    templates: templates(),
    version: agentVersion,
  });
}
