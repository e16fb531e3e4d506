import { toWireId } from "@wrenn/shared";
import { SandboxStatus, type Sandbox } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import type { SandboxRecord, SandboxStatus as DbStatus } from "../../lifecycle/sandbox.js";

const statusToApi: Record<DbStatus, SandboxStatus> = {
  starting: SandboxStatus.SANDBOX_STATUS_STARTING,
  running: SandboxStatus.SANDBOX_STATUS_RUNNING,
  pausing: SandboxStatus.SANDBOX_STATUS_PAUSING,
  paused: SandboxStatus.SANDBOX_STATUS_PAUSED,
  resuming: SandboxStatus.SANDBOX_STATUS_RESUMING,
  stopping: SandboxStatus.SANDBOX_STATUS_STOPPING,
  stopped: SandboxStatus.SANDBOX_STATUS_STOPPED,
  error: SandboxStatus.SANDBOX_STATUS_ERROR,
  missing: SandboxStatus.SANDBOX_STATUS_MISSING,
};

/**
 * Database row → public message; UUIDs become wire ids here and nowhere else.
 * The traffic and access tokens go to the sandbox's own team only: `forOwner` false
 * (a platform admin's listing of every team) leaves it out.
 */
export function sandboxToApi(record: SandboxRecord, { forOwner = true }: { forOwner?: boolean } = {}): Sandbox {
  return {
    sandboxId: toWireId("sb", record.id),
    templateId: record.templateId,
    status: statusToApi[record.status],
    metadata: record.metadata,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    error: record.error,
    hostId: record.hostId ? toWireId("host", record.hostId) : "",
    // Unset until the host said (while starting, or from an older host agent).
    resources: record.resources ?? undefined,
    publicPorts: record.publicPorts,
    autoResume: record.autoResume,
    trafficToken: forOwner ? (record.trafficToken ?? "") : "",
    accessToken: forOwner ? (record.accessToken ?? "") : "",
    expiresAt: record.expiresAt ?? undefined,
  };
}
