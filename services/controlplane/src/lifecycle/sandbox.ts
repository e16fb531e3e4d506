export const sandboxStatuses = ["starting", "running", "pausing", "paused", "resuming", "stopping", "stopped", "error", "missing"] as const;
export type ExpiryAction = "kill" | "pause";
export type SandboxStatus = (typeof sandboxStatuses)[number];

/** What the host gave a sandbox. */
export interface SandboxResources {
  vcpus: number;
  /** Guest RAM. */
  memoryMib: number;
  /** Root disk. */
  diskMib: number;
}

/**
 * A sandbox as the domain knows it. Ids are UUIDs here and everywhere inside
 * the controlplane; wire ids ("sb-…") exist only at the RPC edge
 * (rpc/) and toward host agents (hosts/host-agent-adapter.ts).
 */
export interface SandboxRecord {
  /** UUID. */
  id: string;
  templateId: string;
  /** The template row it was made from; null for sandboxes from before templates had rows. */
  templateUuid: string | null;
  /**
   * UUID of the team that owns it. Null only for rows from before teams
   * existed: those belong to no caller (NOT_FOUND to everyone; platform admins see them).
   */
  teamId: string | null;
  status: SandboxStatus;
  /** UUID of the host the sandbox was placed on. */
  hostId: string | null;
  metadata: Record<string, string>;
  /** Why the sandbox is in `error`; empty otherwise. */
  error: string;
  /** What the host does when the sandbox's timeout runs out. */
  onExpiry: ExpiryAction;
  /** When the timeout runs out, as the host agent last said; null = none known. */
  expiresAt: Date | null;
  /** As the host reported them when it started or resumed the sandbox; null before that. */
  resources: SandboxResources | null;
  /** Anyone may reach its ports through the port proxy, with no credential. */
  publicPorts: boolean;
  /** A proxied request to it while it is paused resumes it. */
  autoResume: boolean;
  /** Opens its ports through the port proxy without the team's credential; null for rows from before it existed. */
  trafficToken: string | null;
  /** Its own credential for process, file and port calls ("wra_…"); null for rows from before it existed. */
  accessToken: string | null;
  /** When the sandbox became stopped; null while it is not. */
  stoppedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an id is a UUID, the form every id takes inside the controlplane. */
export function isUuid(id: string): boolean {
  return uuidPattern.test(id);
}
