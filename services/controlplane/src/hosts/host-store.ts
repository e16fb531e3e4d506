export type HostStatus = "online" | "unreachable" | "draining" | "revoked";

/** A host agent as the controlplane knows it. */
export interface HostRecord {
  /** UUID of its row. */
  id: string;
  agentHostId: string;
  address: string;
  status: HostStatus;
  runtime: string;
  cpuCount: number;
  memoryBytes: number;
  templates: string[];
  version: string;
  lastSeenAt: Date | null;
  capacity: HostCapacity;
}

/** What a host had left at its last heartbeat. */
export interface HostCapacity {
  freeMemoryBytes: number;
  loadAverage: number;
  diskFreeBytes: number;
  sandboxCount: number;
  sandboxMemoryBytes: number;
}

export interface HostUpsert {
  id: string;
  agentHostId: string;
  address: string;
  runtime: string;
  cpuCount: number;
  memoryBytes: number;
  templates: string[];
  version: string;
  capacity: HostCapacity;
}

/** What the host registry needs from the store of record (PostgreSQL in db/host-repository.ts). */
export interface HostStore {
  /** Registers or refreshes a host that just answered; it becomes `online`. */
  upsertOnline(host: HostUpsert): Promise<HostRecord>;
  get(id: string): Promise<HostRecord | null>;
  /** Marks a host unreachable unless it is already something else than online. */
  markUnreachable(id: string): Promise<HostRecord | null>;
}
