import { SandboxStatus, type Sandbox } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { reportedEnvdVersion } from "./envd-version.js";
import { toE2bSandboxId } from "./e2b-sandbox-id.js";

/** What the SDKs call a sandbox's state: E2B knows only these two. */
export type E2bState = "running" | "paused";

/**
 * A native status as E2B's state, or undefined for a sandbox the face does
 * not show (being killed, gone, failed): E2B answers 404 for those. Moving
 * states count as where they are going, so a sandbox just resumed reads
 * "running".
 */
export function e2bStateOf(status: SandboxStatus): E2bState | undefined {
  switch (status) {
    case SandboxStatus.SANDBOX_STATUS_STARTING:
    case SandboxStatus.SANDBOX_STATUS_RUNNING:
    case SandboxStatus.SANDBOX_STATUS_RESUMING:
      return "running";
    case SandboxStatus.SANDBOX_STATUS_PAUSING:
    case SandboxStatus.SANDBOX_STATUS_PAUSED:
      return "paused";
    default:
      return undefined;
  }
}

/** When the sandbox's timeout runs out (E2B's endAt); unset when it has none. */
export function expiryOf(sandbox: Sandbox): Date | undefined {
  return sandbox.expiresAt;
}

/** The client id E2B reports is the host's: Wrenn's host id, or a fixed word while no host is chosen. */
function clientIdOf(sandbox: Sandbox): string {
  return sandbox.hostId || "wrenn";
}

/** The `Sandbox` answer of create and connect. */
export function e2bSandboxJson(sandbox: Sandbox, domain: string): Record<string, unknown> {
  return {
    sandboxID: toE2bSandboxId(sandbox.sandboxId),
    templateID: sandbox.templateId,
    clientID: clientIdOf(sandbox),
    envdVersion: reportedEnvdVersion,
    // Left out when empty: the SDKs then send no X-Access-Token.
    ...(sandbox.accessToken ? { envdAccessToken: sandbox.accessToken } : {}),
    ...(sandbox.trafficToken ? { trafficAccessToken: sandbox.trafficToken } : {}),
    domain,
  };
}

const mib = 1024 * 1024;

/** The fields a listed sandbox and a sandbox's detail share. */
export function e2bListedSandboxJson(sandbox: Sandbox, state: E2bState): Record<string, unknown> {
  const startedAt = sandbox.createdAt ?? new Date(0);
  // An unknown expiry reads as the start: never later than the truth.
  const endAt = expiryOf(sandbox) ?? startedAt;
  return {
    sandboxID: toE2bSandboxId(sandbox.sandboxId),
    templateID: sandbox.templateId,
    clientID: clientIdOf(sandbox),
    startedAt: startedAt.toISOString(),
    endAt: endAt.toISOString(),
    cpuCount: sandbox.resources?.vcpus ?? 0,
    memoryMB: sandbox.resources?.memoryMib ?? 0,
    diskSizeMB: sandbox.resources?.diskMib ?? 0,
    state,
    envdVersion: reportedEnvdVersion,
    metadata: sandbox.metadata,
  };
}

/** The `SandboxDetail` answer of GET /sandboxes/{sandboxID}. */
export function e2bSandboxDetailJson(sandbox: Sandbox, state: E2bState, domain: string): Record<string, unknown> {
  return {
    ...e2bListedSandboxJson(sandbox, state),
    ...(sandbox.accessToken ? { envdAccessToken: sandbox.accessToken } : {}),
    domain,
  };
}

/** GetSandboxMetrics as E2B's one-sample list. */
export function e2bMetricsJson(sandbox: Sandbox, metrics: { cpuCores: number; memoryBytes: number; diskBytes: number }, now: Date): Record<string, unknown>[] {
  const cpuCount = sandbox.resources?.vcpus ?? 0;
  return [
    {
      timestamp: now.toISOString(),
      timestampUnix: Math.floor(now.getTime() / 1000),
      cpuCount,
      cpuUsedPct: cpuCount > 0 ? Math.round((metrics.cpuCores / cpuCount) * 10000) / 100 : 0,
      memUsed: metrics.memoryBytes,
      memTotal: (sandbox.resources?.memoryMib ?? 0) * mib,
      memCache: 0,
      diskUsed: metrics.diskBytes,
      diskTotal: (sandbox.resources?.diskMib ?? 0) * mib,
    },
  ];
}
