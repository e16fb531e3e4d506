import type { Logger } from "@wrenn/shared";
import type { GetHostInfoResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { HostCapacity, HostStore } from "./host-store.js";
import { createHostConnection, type HostConnection, type HostTls } from "./host-connection.js";
import { hostUuidFor } from "./host-identity.js";

export const hostInfoTimeoutMs = 5_000;

/** One host agent from WRENN_HOSTAGENT_URL, as its heartbeats last found it. */
export interface ConfiguredHost {
  readonly address: string;
  readonly connection: HostConnection;
  /** The host's row UUID, once it registered. */
  hostId(): string | null;
  online(): boolean;
  /** Its size and capacity from the last answered heartbeat. */
  lastInfo(): { cpuCount: number; memoryBytes: number; capacity: HostCapacity; portProxyAddress: string } | null;
  /** Memory and sandboxes placed on it that the last heartbeat could not see. */
  pending(): { memoryBytes: number; sandboxes: number };
  /**
   * Counts a placement from now; the returned call says the host has answered
   * the create, after which the next heartbeat counts the sandbox itself.
   */
  reserve(memoryBytes: number): () => void;
  /** GetHostInfo, then the host row upserted; concurrent callers share one. Rejects when the agent does not answer. */
  register(): Promise<string>;
  /** register(), turning a failure into `unreachable` (marked in the row once, when it was online). */
  heartbeat(): Promise<void>;
}

export interface ConfiguredHostOptions {
  address: string;
  /** A registered host: dialled over mutual TLS, and its row id is known (an agent answering with another id is refused). */
  registered?: { hostId: string; tls: HostTls };
  hosts: HostStore;
  logger: Logger;
  /** Called when the host answers after not having answered (or for the first time). */
  onOnline(hostId: string, connection: HostConnection): void;
}

export function createConfiguredHost(options: ConfiguredHostOptions): ConfiguredHost {
  const { address, hosts, logger } = options;
  const connection = createHostConnection(address, options.registered?.tls);
  let hostId: string | null = null;
  let online = false;
  let registering: Promise<string> | null = null;
  let info: ReturnType<ConfiguredHost["lastInfo"]> = null;
  /** Placements not yet seen by a heartbeat: answered at `answeredAt`, or still being created. */
  const placements = new Set<{ memoryBytes: number; answeredAt?: number }>();

  async function register(): Promise<string> {
    const askedAt = performance.now();
    const answer = await connection.sandboxes.getHostInfo({}, { signal: AbortSignal.timeout(hostInfoTimeoutMs) });
    const id = hostUuidFor(answer.hostId || address);
    if (options.registered && id !== options.registered.hostId) {
      throw new Error(`the agent at ${address} names itself ${answer.hostId}, not the host that registered there`);
    }
    const capacity = capacityOf(answer);
    await hosts.upsertOnline({
      id,
      agentHostId: answer.hostId,
      address,
      runtime: answer.runtime,
      cpuCount: answer.cpuCount,
      memoryBytes: answer.memoryBytes,
      templates: answer.templates,
      version: answer.version,
      capacity,
    });
    info = { cpuCount: answer.cpuCount, memoryBytes: answer.memoryBytes, capacity, portProxyAddress: answer.portProxyAddress };
    // This answer counts every sandbox whose create the host had answered before it was asked.
    for (const placement of placements) {
      if (placement.answeredAt !== undefined && placement.answeredAt < askedAt) placements.delete(placement);
    }
    if (!online) logger.info({ hostId: id, address, runtime: answer.runtime }, "host registered");
    hostId = id;
    const cameBack = !online;
    online = true;
    if (cameBack) {
      try {
        options.onOnline(id, connection);
      } catch (err) {
        logger.warn({ err }, "host online listener failed");
      }
    }
    return id;
  }

  const host: ConfiguredHost = {
    address,
    connection,
    hostId: () => hostId,
    online: () => online,
    lastInfo: () => info,
    pending() {
      let memoryBytes = 0;
      for (const placement of placements) memoryBytes += placement.memoryBytes;
      return { memoryBytes, sandboxes: placements.size };
    },
    reserve(memoryBytes) {
      const placement: { memoryBytes: number; answeredAt?: number } = { memoryBytes };
      placements.add(placement);
      return () => void (placement.answeredAt ??= performance.now());
    },
    register() {
      registering ??= register().finally(() => {
        registering = null;
      });
      return registering;
    },
    async heartbeat() {
      try {
        await host.register();
      } catch (err) {
        if (online) {
          logger.warn({ err: (err as Error).message, address }, "host agent stopped answering");
          if (hostId) await hosts.markUnreachable(hostId).catch(() => null);
        }
        online = false;
      }
    },
  };
  return host;
}

/**
 * The capacity a heartbeat reports, made safe for the row: an older agent
 * sends zeros, and a value that is not a finite, non-negative number is zero.
 */
function capacityOf(info: GetHostInfoResponse): HostCapacity {
  const count = (value: number) => (Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);
  return {
    freeMemoryBytes: count(info.freeMemoryBytes),
    loadAverage: Number.isFinite(info.loadAverage) && info.loadAverage > 0 ? info.loadAverage : 0,
    diskFreeBytes: count(info.diskFreeBytes),
    sandboxCount: count(info.sandboxCount),
    sandboxMemoryBytes: count(info.sandboxMemoryBytes),
  };
}
