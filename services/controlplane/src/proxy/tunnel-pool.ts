import { Agent, type ClientRequestArgs } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { dialWithRetry, type RetryPolicy } from "./dial-retry.js";
import { openTunnel } from "./tunnel.js";
import type { HostTls } from "../hosts/host-connection.js";

/** A request option the pool's agents read: the client going away stops the dial's retries. */
export interface TunnelRequestArgs extends ClientRequestArgs {
  tunnelSignal?: AbortSignal;
}

export interface TunnelTarget {
  /** UUID, for eviction. */
  sandboxId: string;
  wireId: string;
  port: number;
  /** The host agent's port tunnel, "host:port". */
  tunnelAddress: string;
  /** Set when the host is registered: the tunnel is mutual TLS. */
  tunnelTls?: HostTls;
}

export interface TunnelPool {
  /** The keep-alive agent of one sandbox port; made on first use. */
  agentFor(target: TunnelTarget): Agent;
  /** A fresh tunnel (with the retries) outside any agent: an upgraded connection is never reused. */
  dial(target: TunnelTarget, signal?: AbortSignal): Promise<Socket>;
  /** Drops (and closes the connections of) every agent of the sandbox: it was found stopped or gone. */
  evictSandbox(sandboxId: string): void;
  /** Sandboxes that have agents now. */
  sandboxIds(): string[];
  /** Drops agents with no request in flight that were last used before `before` (ms epoch). */
  evictIdle(before: number): void;
  close(): void;
}

/** Idle keep-alive tunnels close before a typical server's own keep-alive timeout (Node's 5 s), so a reused one is rarely half-closed. */
export const defaultIdleSocketMs = 4_000;

/**
 * The proxy's HTTP agents, one per (sandbox, port), each opening its
 * connections as tunnels through that sandbox's host agent. They are the
 * proxy's own: no proxied byte shares a connection with a gRPC call.
 */
export function createTunnelPool(policy: RetryPolicy, idleSocketMs = defaultIdleSocketMs): TunnelPool {
  const agents = new Map<string, { agent: TunnelAgent; target: TunnelTarget; lastUsed: number }>();
  const dial = (target: TunnelTarget, signal?: AbortSignal) =>
    dialWithRetry(() => openTunnel(target.tunnelAddress, target.wireId, target.port, signal, target.tunnelTls), policy, signal);
  const keyOf = (target: TunnelTarget) => `${target.sandboxId}:${target.port}`;

  return {
    agentFor(target) {
      const key = keyOf(target);
      const known = agents.get(key);
      if (known && known.target.tunnelAddress === target.tunnelAddress) {
        known.lastUsed = Date.now();
        return known.agent;
      }
      known?.agent.destroy();
      const agent = new TunnelAgent((signal) => dial(target, signal), idleSocketMs);
      agents.set(key, { agent, target, lastUsed: Date.now() });
      return agent;
    },
    dial,
    evictSandbox(sandboxId) {
      for (const [key, entry] of agents) {
        if (entry.target.sandboxId !== sandboxId) continue;
        entry.agent.destroy();
        agents.delete(key);
      }
    },
    sandboxIds() {
      return [...new Set([...agents.values()].map((entry) => entry.target.sandboxId))];
    },
    evictIdle(before) {
      for (const [key, entry] of agents) {
        if (entry.lastUsed >= before || entry.agent.busy()) continue;
        entry.agent.destroy();
        agents.delete(key);
      }
    },
    close() {
      for (const entry of agents.values()) entry.agent.destroy();
      agents.clear();
    },
  };
}

class TunnelAgent extends Agent {
  constructor(
    private readonly open: (signal?: AbortSignal) => Promise<Socket>,
    idleSocketMs: number,
  ) {
    // `timeout` closes only idle (free) sockets: on a busy one Node just emits 'timeout' on the request.
    super({ keepAlive: true, timeout: idleSocketMs, scheduling: "lifo" });
  }

  /** Asynchronous, through the callback (Agent supports it): the tunnel is ready only after the agent's 200. */
  override createConnection(options: TunnelRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    this.open(options.tunnelSignal).then(
      (socket) => callback?.(null, socket),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }

  busy(): boolean {
    return Object.keys(this.sockets).length > 0 || Object.keys(this.requests).length > 0;
  }
}
