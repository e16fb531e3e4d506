import type { EgressPolicy } from "../network/egress-policy.js";
import type { PortReach } from "../runtime/runtime.js";
import type { EnvdConnection } from "../envd/envd-connection.js";
import type { SandboxInfo } from "./sandbox-info.js";
import type { SandboxRecord } from "./sandbox-record.js";

/** The sandbox layer's state of one sandbox. */
export interface Entry {
  info: SandboxInfo;
  /** The template's default env under the create's own (what every Init gives envd). */
  envs: Record<string, string>;
  /** The template's default user and working directory (undefined: root, the user's home). */
  user?: string;
  workdir?: string;
  /** A sandbox of the agent's own (a build's): never listed, relayed to or adopted. */
  internal?: boolean;
  /** envd's access token: generated per sandbox, kept in memory and in sandbox.json (0600), sent by the relay. */
  token: string;
  ttlSeconds: number;
  connection?: EnvdConnection;
  envdTarget?: string;
  /** Aborts an in-progress create (its sandbox died while starting). */
  starting?: AbortController;
  /** Set while the entry is still being created (not listed, not reachable). */
  creating: boolean;
  egress?: EgressPolicy;
  /** Set while a pause is under way: the port tunnel refuses it like a paused one. */
  pausing?: boolean;
  /** Where the port tunnel reaches its ports (from the runtime's handle). */
  ports?: PortReach;
}

/** What sandbox.json keeps of an entry. */
export function recordOf(entry: Entry): SandboxRecord {
  const { info } = entry;
  return {
    sandboxId: info.sandboxId,
    templateId: info.templateId,
    startedAt: info.startedAt.toISOString(),
    state: info.state,
    expiresAt: info.expiresAt?.toISOString(),
    onExpiry: info.onExpiry,
    ttlSeconds: entry.ttlSeconds,
    token: entry.token,
    envs: entry.envs,
    user: entry.user,
    workdir: entry.workdir,
    internal: entry.internal,
    egress: entry.egress,
    resources: info.resources,
  };
}
