import { join } from "node:path";
import { readJson, writeJsonAtomic } from "../host/state-file.js";
import type { EgressPolicy } from "../network/egress-policy.js";
import type { SandboxResources } from "../runtime/runtime.js";

/**
 * sandbox.json in a sandbox's directory: the sandbox layer's part of what a
 * restarted agent needs (the runtime keeps its own runtime.json beside it).
 * Holds the envd access token and the sandbox's env vars: mode 0600, never
 * logged.
 */
export interface SandboxRecord {
  sandboxId: string;
  templateId: string;
  startedAt: string;
  state: "running" | "paused";
  expiresAt?: string;
  onExpiry: "kill" | "pause";
  ttlSeconds: number;
  token: string;
  envs: Record<string, string>;
  user?: string;
  workdir?: string;
  /** Destroyed, not adopted, when the agent restarts. */
  internal?: boolean;
  egress?: EgressPolicy;
  resources: SandboxResources;
}

const fileName = "sandbox.json";

export function writeSandboxRecord(sandboxesDir: string, record: SandboxRecord): Promise<void> {
  return writeJsonAtomic(join(sandboxesDir, record.sandboxId, fileName), record, 0o600);
}

export async function readSandboxRecord(sandboxesDir: string, sandboxId: string): Promise<SandboxRecord | undefined> {
  const record = await readJson<SandboxRecord>(join(sandboxesDir, sandboxId, fileName));
  if (!record || record.sandboxId !== sandboxId || typeof record.token !== "string") return undefined;
  return record;
}
