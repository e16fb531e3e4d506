import { ClientError, Status } from "nice-grpc";
import { errors, grpcStatusOf, quoteForMessage, type Logger } from "@wrenn/shared";
import type { HostStore } from "./host-store.js";
import { createHostConnection, type HostConnection, type HostTls } from "./host-connection.js";
import { createSandboxHost } from "./host-agent-adapter.js";
import type { PlacedHost, SandboxHost, Scheduler } from "../lifecycle/host-contract.js";
import { createConfiguredHost, hostInfoTimeoutMs, type ConfiguredHost } from "./configured-host.js";
import { placeSandbox, type PlacementCandidate } from "./placement.js";
import type { EnrollmentStore, RegisteredHost } from "./enrollment/enrollment-store.js";
import type { HostAuthority } from "./enrollment/host-authority.js";
import { renewIfDue } from "./enrollment/certificate-renewal.js";

export interface HostRegistryOptions {
  /** The host agents this controlplane schedules on: one address, or several joined with ",". */
  hostAgentUrl: string;
  hosts: HostStore;
  logger: Logger;
  /** How often each host is asked for its info and capacity again. */
  heartbeatMs?: number;
  /** Hosts that registered with a token, dialled over mutual TLS; absent: only the configured ones. */
  registered?: { store: EnrollmentStore; authority: HostAuthority; certificateDays: number };
}

export interface HostRegistry extends Scheduler {
  /** Registers every configured host that answers now, and keeps their heartbeats. */
  start(): Promise<void>;
  /** One heartbeat to every host now (registered ones read again first), without waiting for the timer. */
  heartbeat(): Promise<void>;
  /** Reads the registered hosts again now (after a registration or revocation); a new one is dialled until it answers. */
  refreshRegistered(): Promise<void>;
  /** The mutual-TLS settings of a registered host's port tunnel; undefined for a configured (plaintext) host. */
  tunnelTlsFor(hostId: string): HostTls | undefined;
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

/** The addresses in WRENN_HOSTAGENT_URL: comma-separated, blanks and repeats dropped; "none" is none. */
export function hostAgentAddresses(value: string): string[] {
  if (value.trim() === "none") return [];
  return [...new Set(value.split(",").map((part) => part.trim()).filter(Boolean))];
}

/**
 * Knows the host agents and holds one long-lived connection per host. Each
 * configured host is registered (upserted into `hosts`) from its GetHostInfo
 * answer at start and on every heartbeat; a host that stops answering is
 * marked unreachable and is registered again as soon as it answers. New
 * sandboxes are placed among the reachable hosts that hold their template
 * (placement.ts).
 */
export function createHostRegistry(options: HostRegistryOptions): HostRegistry {
  const { hosts, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const addresses = hostAgentAddresses(options.hostAgentUrl);
  if (addresses.length === 0 && !options.registered) throw new Error("WRENN_HOSTAGENT_URL names no host agent");
  const onlineListeners: ((hostId: string, connection: HostConnection) => void)[] = [];
  const onOnline = (hostId: string, connection: HostConnection) => {
    for (const listener of onlineListeners) {
      try {
        listener(hostId, connection);
      } catch (err) {
        logger.warn({ err }, "host online listener failed");
      }
    }
  };
  /** The WRENN_HOSTAGENT_URL hosts, then the registered ones (kept in step with their rows by syncRegistered). */
  const configured: ConfiguredHost[] = addresses.map((address) => createConfiguredHost({ address, hosts, logger, onOnline }));
  /** Registered hosts by row id, with the row they were made from. */
  const registered = new Map<string, { host: ConfiguredHost; row: RegisteredHost }>();
  const all = () => [...configured, ...[...registered.values()].map((entry) => entry.host)];
  const renewing = new Set<string>();
  /** Hosts this copy does not heartbeat (registered by another copy, or before a restart), by UUID. */
  const others = new Map<string, HostConnection>();
  /** hostId → the agent's port tunnel, for hosts known through their row only. */
  const portProxies = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const byId = (hostId: string) => registered.get(hostId)?.host ?? configured.find((host) => host.hostId() === hostId);
  const tried = () => all().map((host) => host.address).join(", ") || "none: no host is configured or registered";

  /**
   * Dials every registered, unrevoked host this copy does not dial yet (or
   * whose address or name changed by a new registration), and drops revoked
   * ones at once: a revoked host is neither dialled nor placed on.
   */
  async function syncRegistered(): Promise<void> {
    if (!options.registered) return;
    const rows = await options.registered.store.listRegistered();
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.id);
      const known = registered.get(row.id);
      if (row.revoked) {
        if (known) {
          known.host.connection.close();
          registered.delete(row.id);
          logger.warn({ hostId: row.id, address: row.address }, "host revoked: no longer dialled");
        }
        continue;
      }
      if (known && known.row.address === row.address && known.row.serverName === row.serverName) {
        known.row = row;
        continue;
      }
      known?.host.connection.close();
      const identity = await options.registered.authority.clientIdentity();
      const host = createConfiguredHost({ address: row.address, hosts, logger, onOnline, registered: { hostId: row.id, tls: { identity, serverName: row.serverName } } });
      registered.set(row.id, { host, row });
      void untilOnline(host);
    }
    for (const [id, entry] of registered) {
      if (seen.has(id)) continue;
      entry.host.connection.close();
      registered.delete(id);
    }
  }

  /**
   * A host that just registered starts serving mutual TLS a moment after its
   * answer: asked every half second for a while, so it is placed on within a
   * second rather than at the next heartbeat.
   */
  async function untilOnline(host: ConfiguredHost): Promise<void> {
    for (let attempt = 0; attempt < 40 && !host.online() && !closed; attempt++) {
      await host.heartbeat();
      if (!host.online()) await new Promise((resolve) => setTimeout(resolve, 500).unref());
    }
  }

  /** Renews registered hosts' certificates that are past two thirds of their life (one renewal per host at a time). */
  function renewDue(): void {
    if (!options.registered) return;
    const { store, authority, certificateDays } = options.registered;
    for (const [id, entry] of registered) {
      if (!entry.host.online() || renewing.has(id)) continue;
      renewing.add(id);
      void renewIfDue({ hostId: id, row: entry.row, connection: entry.host.connection, authority, store, certificateDays, logger })
        .then((expiresAt) => {
          if (expiresAt) entry.row = { ...entry.row, certificateExpiresAt: expiresAt };
        })
        .finally(() => renewing.delete(id));
    }
  }

  function unreachable(err: unknown): Error {
    const reason = grpcStatusOf(err)?.details ?? (err instanceof Error ? err.message : String(err));
    logger.warn({ addresses: tried(), reason }, "no host agent reachable");
    return errors.unavailable(`no host agent is reachable (tried ${tried()}); try again later`);
  }

  /**
   * The template's memory on one host, when the host holds it; asked at
   * create time, not from the heartbeat, since a template made a moment ago
   * must be usable at once. "unreachable" when the host could not be asked.
   */
  async function templateOn(host: ConfiguredHost, templateId: string): Promise<number | undefined | "unreachable"> {
    // Right after a host agent restart the channel may still be reconnecting: wait for it (bounded) rather than refuse the create.
    await host.connection.controlReady(AbortSignal.timeout(hostInfoTimeoutMs));
    try {
      const { templates } = await host.connection.sandboxes.listTemplates({}, { signal: AbortSignal.timeout(hostInfoTimeoutMs) });
      return templates.find((t) => t.templateId === templateId)?.memoryMib;
    } catch (err) {
      // An agent without ListTemplates judges the template itself when it creates.
      if (err instanceof ClientError && err.code === Status.UNIMPLEMENTED) return 0;
      if (err instanceof ClientError && err.code !== Status.UNAVAILABLE && err.code !== Status.DEADLINE_EXCEEDED) throw err;
      return "unreachable";
    }
  }

  return {
    async start() {
      await this.heartbeat();
      for (const host of all()) {
        if (!host.online()) logger.warn({ address: host.address }, "host agent not reachable yet; will keep trying");
      }
      timer = setInterval(() => void this.heartbeat(), heartbeatMs);
      timer.unref();
    },

    async heartbeat() {
      await syncRegistered().catch((err: unknown) => logger.warn({ err: (err as Error).message }, "reading the registered hosts failed"));
      await Promise.all(all().map((host) => host.heartbeat()));
      renewDue();
    },

    refreshRegistered: () => syncRegistered(),

    tunnelTlsFor(hostId) {
      return registered.get(hostId)?.host.connection.tls;
    },

    async pickHost({ templateId }): Promise<PlacedHost> {
      // A host not answering its heartbeats is asked once more now: it may be back before its next one.
      let lastError: unknown;
      const hostsNow = all();
      await Promise.all(
        hostsNow.filter((host) => !host.online()).map((host) => host.register().catch((err: unknown) => void (lastError = err))),
      );
      const reachable = hostsNow.filter((host) => host.online() && host.hostId() && host.lastInfo());
      if (reachable.length === 0) throw unreachable(lastError ?? new Error("no host registered"));
      const asked = await Promise.all(reachable.map(async (host) => ({ host, memoryMib: await templateOn(host, templateId) })));
      const answered = asked.filter((entry) => entry.memoryMib !== "unreachable");
      if (answered.length === 0) throw unreachable(new Error("no host answered ListTemplates"));
      const candidates: (PlacementCandidate & { host: ConfiguredHost })[] = answered.map(({ host, memoryMib }) => {
        const info = host.lastInfo()!;
        return {
          host,
          hostId: host.hostId()!,
          cpuCount: info.cpuCount,
          memoryBytes: info.memoryBytes,
          capacity: info.capacity,
          pending: host.pending(),
          templateMemoryMib: memoryMib === "unreachable" ? undefined : memoryMib,
        };
      });
      const someUnasked = answered.length < hostsNow.length;
      if (someUnasked && !candidates.some((c) => c.templateMemoryMib !== undefined)) {
        throw errors.unavailable(`template ${quoteForMessage(templateId)} is on no reachable host, and some hosts are not answering; try again later`);
      }
      const chosen = placeSandbox(templateId, candidates) as (typeof candidates)[number];
      const hostAnswered = chosen.host.reserve((chosen.templateMemoryMib ?? 0) * 1024 * 1024);
      return { hostId: chosen.hostId, host: createSandboxHost(chosen.host.connection), answered: hostAnswered };
    },

    async hostFor(hostId: string): Promise<SandboxHost> {
      return createSandboxHost(await this.connectionFor(hostId));
    },

    async connectionFor(hostId: string): Promise<HostConnection> {
      const mine = byId(hostId);
      if (mine) return mine.connection;
      const known = others.get(hostId);
      if (known) return known;
      // A host registered by another controlplane (or before a restart).
      const row = await hosts.get(hostId);
      if (!row) throw errors.unavailable("the sandbox's host is not known to this controlplane");
      if (row.status === "revoked") throw errors.unavailable("the sandbox's host was revoked");
      if (options.registered) {
        // Registered a moment ago by another copy: read the rows again rather than dial it in plaintext.
        await syncRegistered();
        const now = registered.get(hostId);
        if (now) return now.host.connection;
      }
      const sameAddress = configured.find((host) => host.address === row.address);
      if (sameAddress) return sameAddress.connection;
      const opened = others.get(hostId) ?? createHostConnection(row.address);
      others.set(hostId, opened);
      return opened;
    },

    async portProxyFor(hostId: string): Promise<string> {
      const enrolled = registered.get(hostId);
      if (enrolled?.row.portProxyAddress) return enrolled.row.portProxyAddress;
      const mine = byId(hostId);
      const advertised = mine?.lastInfo()?.portProxyAddress;
      if (mine && advertised) return tunnelAddress(advertised, mine.address);
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
      return all().flatMap((host) => {
        const id = host.hostId();
        return host.online() && id ? [id] : [];
      });
    },

    onOnline(listener) {
      onlineListeners.push(listener);
    },

    close() {
      closed = true;
      if (timer) clearInterval(timer);
      for (const connection of new Set([...all().map((host) => host.connection), ...others.values()])) connection.close();
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
