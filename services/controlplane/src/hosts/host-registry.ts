import { ClientError, Status } from "nice-grpc";
import { errors, grpcStatusOf, quoteForMessage, type Logger } from "@wrenn/shared";
import type { GetHostInfoResponse } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import type { HostCapacity, HostStore } from "./host-store.js";
import { createHostConnection, type HostConnection } from "./host-connection.js";
import { createSandboxHost } from "./host-agent-adapter.js";
import type { PlacedHost, SandboxHost, Scheduler } from "../lifecycle/host-contract.js";
import { hostUuidFor } from "./host-identity.js";

export interface HostRegistryOptions {
  /** The one host agent this controlplane schedules on (for now). */
  hostAgentUrl: string;
  hosts: HostStore;
  logger: Logger;
  /** How often a registered host is asked for its info again. */
  heartbeatMs?: number;
}

export interface HostRegistry extends Scheduler {
  /** Registers the configured host now if it answers, and keeps its heartbeat. */
  start(): Promise<void>;
  /** The long-lived connection to a host, for relaying envd calls. */
  connectionFor(hostId: string): Promise<HostConnection>;
  /**
   * "host:port" of the host agent's port tunnel (GetHostInfo's
   * port_proxy_address, a wildcard host replaced by the agent's own):
   * UNAVAILABLE when the host is unknown or has no tunnel.
   */
  portProxyFor(hostId: string): Promise<string>;
  /** Hosts that answered their last heartbeat (UUIDs). */
  onlineHostIds(): string[];
  /**
   * Called each time a host becomes reachable: at its first registration and
   * whenever it answers again after having been unreachable.
   */
  onOnline(listener: (hostId: string, connection: HostConnection) => void): void;
  close(): void;
}

const hostInfoTimeoutMs = 5_000;

/**
 * Knows the host agents and holds one long-lived connection per host. The
 * configured host is registered (upserted into `hosts`) from its GetHostInfo
 * answer at start and on every heartbeat; a host that stops answering is
 * marked unreachable and is registered again as soon as it answers.
 */
export function createHostRegistry(options: HostRegistryOptions): HostRegistry {
  const { hosts, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const configured = createHostConnection(options.hostAgentUrl);
  /** hostId → connection; the configured host's entry appears once it registered. */
  const connections = new Map<string, HostConnection>();
  let configuredHostId: string | null = null;
  let online = false;
  let timer: NodeJS.Timeout | undefined;
  let registering: Promise<string> | null = null;
  const onlineListeners: ((hostId: string, connection: HostConnection) => void)[] = [];
  /** hostId → the agent's port tunnel, as learnt from its GetHostInfo. */
  const portProxies = new Map<string, string>();

  async function register(): Promise<string> {
    const info = await configured.sandboxes.getHostInfo({}, { signal: AbortSignal.timeout(hostInfoTimeoutMs) });
    const id = hostUuidFor(info.hostId || options.hostAgentUrl);
    await hosts.upsertOnline({
      id,
      agentHostId: info.hostId,
      address: options.hostAgentUrl,
      runtime: info.runtime,
      cpuCount: info.cpuCount,
      memoryBytes: info.memoryBytes,
      templates: info.templates,
      version: info.version,
      capacity: capacityOf(info),
    });
    if (info.portProxyAddress) portProxies.set(id, tunnelAddress(info.portProxyAddress, options.hostAgentUrl));
    if (!online) logger.info({ hostId: id, address: options.hostAgentUrl, runtime: info.runtime }, "host registered");
    configuredHostId = id;
    connections.set(id, configured);
    const cameBack = !online;
    online = true;
    if (cameBack) {
      for (const listener of onlineListeners) {
        try {
          listener(id, configured);
        } catch (err) {
          logger.warn({ err }, "host online listener failed");
        }
      }
    }
    return id;
  }

  /** One registration at a time; concurrent callers share it. */
  function registerOnce(): Promise<string> {
    registering ??= register().finally(() => {
      registering = null;
    });
    return registering;
  }

  async function heartbeat(): Promise<void> {
    try {
      await registerOnce();
    } catch (err) {
      if (online) {
        logger.warn({ err: (err as Error).message, address: options.hostAgentUrl }, "host agent stopped answering");
        if (configuredHostId) await hosts.markUnreachable(configuredHostId).catch(() => null);
      }
      online = false;
    }
  }

  function unreachable(err: unknown): Error {
    const reason = grpcStatusOf(err)?.details ?? (err instanceof Error ? err.message : String(err));
    logger.warn({ address: options.hostAgentUrl, reason }, "no host agent reachable");
    return errors.unavailable(`no host agent is reachable (tried ${options.hostAgentUrl}); try again later`);
  }

  /**
   * Asked at create time, not from the heartbeat's list: a template made a
   * moment ago must be usable at once. Unknown everywhere = NOT_FOUND before
   * any row exists, rather than an ERROR sandbox afterwards.
   */
  async function requireTemplate(templateId: string): Promise<void> {
    let templates: string[];
    // Right after a host agent restart the channel may still be reconnecting: wait for it (bounded) rather than refuse the create.
    await configured.controlReady(AbortSignal.timeout(hostInfoTimeoutMs));
    try {
      const response = await configured.sandboxes.listTemplates({}, { signal: AbortSignal.timeout(hostInfoTimeoutMs) });
      templates = response.templates.map((t) => t.templateId);
    } catch (err) {
      // An agent without ListTemplates judges the template itself when it creates.
      if (err instanceof ClientError && err.code === Status.UNIMPLEMENTED) return;
      if (err instanceof ClientError && err.code !== Status.UNAVAILABLE && err.code !== Status.DEADLINE_EXCEEDED) throw err;
      throw unreachable(err);
    }
    if (!templates.includes(templateId)) throw errors.notFound(`template ${quoteForMessage(templateId)} not found`);
  }

  return {
    async start() {
      await heartbeat();
      if (!online) logger.warn({ address: options.hostAgentUrl }, "host agent not reachable yet; will keep trying");
      timer = setInterval(() => void heartbeat(), heartbeatMs);
      timer.unref();
    },

    async pickHost({ templateId }): Promise<PlacedHost> {
      let hostId = configuredHostId;
      if (!online || !hostId) {
        try {
          hostId = await registerOnce();
        } catch (err) {
          online = false;
          throw unreachable(err);
        }
      }
      await requireTemplate(templateId);
      return { hostId, host: createSandboxHost(configured) };
    },

    async hostFor(hostId: string): Promise<SandboxHost> {
      return createSandboxHost(await this.connectionFor(hostId));
    },

    async connectionFor(hostId: string): Promise<HostConnection> {
      const known = connections.get(hostId);
      if (known) return known;
      // A host registered by another controlplane (or before a restart).
      const row = await hosts.get(hostId);
      if (!row) throw errors.unavailable("the sandbox's host is not known to this controlplane");
      const opened = connections.get(hostId) ?? createHostConnection(row.address);
      connections.set(hostId, opened);
      return opened;
    },

    async portProxyFor(hostId: string): Promise<string> {
      const known = portProxies.get(hostId);
      if (known) return known;
      const row = await hosts.get(hostId);
      if (!row) throw errors.unavailable("the sandbox's host is not known to this controlplane");
      const connection = await this.connectionFor(hostId);
      const info = await connection.sandboxes.getHostInfo({}, { signal: AbortSignal.timeout(hostInfoTimeoutMs) }).catch((err: unknown) => {
        throw unreachable(err);
      });
      if (!info.portProxyAddress) throw errors.unavailable("the sandbox's host agent has no port tunnel (an older agent?)");
      const address = tunnelAddress(info.portProxyAddress, row.address);
      portProxies.set(hostId, address);
      return address;
    },

    onlineHostIds() {
      return online && configuredHostId ? [configuredHostId] : [];
    },

    onOnline(listener) {
      onlineListeners.push(listener);
    },

    close() {
      if (timer) clearInterval(timer);
      const all = new Set([configured, ...connections.values()]);
      for (const connection of all) connection.close();
    },
  };
}

/** The agent's advertised tunnel address, a wildcard host ("0.0.0.0", "::", "") replaced by the host the agent is dialled at. */
export function tunnelAddress(advertised: string, agentAddress: string): string {
  const split = (address: string) => {
    const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address.replace(/^[a-z]+:\/\//, ""));
    return match ? { host: match[1] ?? match[2], port: match[3] } : undefined;
  };
  const tunnel = split(advertised);
  if (!tunnel) return advertised;
  const wildcard = tunnel.host === "" || tunnel.host === "0.0.0.0" || tunnel.host === "::";
  const host = wildcard ? (split(agentAddress)?.host ?? "127.0.0.1") : tunnel.host;
  return host.includes(":") ? `[${host}]:${tunnel.port}` : `${host}:${tunnel.port}`;
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
