import { networkInterfaces } from "node:os";
import type { Logger } from "@wrenn/shared";
import { startForwarder, type Forwarder } from "./forwarder.js";
import { isLoopback, listenerKey, readListeners, type Listener } from "./proc-net-tcp.js";

export interface PortInfo extends Listener {
  /** The external address forwards to this loopback-only listener. */
  forwarded: boolean;
}

export type PortChange = { type: "opened" | "closed"; port: PortInfo };

export interface PortScanner {
  /** Listeners as of the last scan (forwarders themselves excluded). */
  current(): PortInfo[];
  /** Called with the changes of every scan; returns an unsubscribe function. */
  subscribe(listener: (changes: PortChange[]) => void): () => void;
  start(): void;
  /** Stops polling and closes every forwarder (before a snapshot). */
  stop(): Promise<void>;
  /** A listener never reported (envd's own: a sandbox's user did not open it and cannot use it). */
  hide(address: string, port: number): void;
  readonly running: boolean;
}

export interface PortScannerOptions {
  logger: Logger;
  intervalMs: number;
  forward: boolean;
  /** Addresses to forward on; default: every non-loopback address of the interfaces. */
  forwardAddresses?: string[];
}

/**
 * Polls the kernel's TCP tables, reports listeners that appear and disappear,
 * and forwards ports that listen only on loopback. A forwarder stops in the
 * same scan that sees its port close.
 */
export function createPortScanner(options: PortScannerOptions): PortScanner {
  const log = options.logger;
  let known = new Map<string, PortInfo>();
  const forwarders = new Map<number, Forwarder[]>();
  const subscribers = new Set<(changes: PortChange[]) => void>();
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> | undefined;
  let running = false;
  const hidden = new Set<string>();

  const externalAddresses = () =>
    options.forwardAddresses ??
    Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && !(a.family === "IPv6" && a.address.startsWith("fe80")))
      .map((a) => a!.address);

  async function scan() {
    const listeners = await readListeners();
    const ours = new Set<string>();
    for (const list of forwarders.values()) for (const f of list) ours.add(listenerKey(f));
    const real = listeners.filter((l) => !ours.has(listenerKey(l)) && !hidden.has(listenerKey(l)));

    const byPort = new Map<number, Listener[]>();
    for (const l of real) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);

    for (const [port, list] of forwarders) {
      if (!byPort.get(port)?.every((l) => isLoopback(l.address))) {
        for (const f of list) f.close();
        forwarders.delete(port);
        log.info({ port }, "stopped forwarding port");
      }
    }
    if (options.forward && running) {
      for (const [port, list] of byPort) {
        if (forwarders.has(port) || !list.every((l) => isLoopback(l.address))) continue;
        const target = list.some((l) => l.address.startsWith("127.") || l.address.startsWith("::ffff:127.")) ? "127.0.0.1" : "::1";
        const started = await Promise.all(externalAddresses().map((a) => startForwarder(a, port, target, log)));
        forwarders.set(port, started.filter((f): f is Forwarder => f !== undefined));
      }
    }

    const next = new Map<string, PortInfo>();
    for (const l of real) {
      const forwarded = (forwarders.get(l.port)?.length ?? 0) > 0;
      next.set(listenerKey(l), { ...l, forwarded });
    }
    const changes: PortChange[] = [];
    for (const [key, p] of known) if (!next.has(key)) changes.push({ type: "closed", port: p });
    for (const [key, p] of next) {
      const before = known.get(key);
      if (!before) changes.push({ type: "opened", port: p });
      else if (before.forwarded !== p.forwarded) {
        changes.push({ type: "closed", port: before }, { type: "opened", port: p });
      }
    }
    known = next;
    if (changes.length > 0) for (const s of subscribers) s(changes);
  }

  function schedule() {
    if (!running) return;
    timer = setTimeout(() => {
      scanning = scan()
        .catch((err: Error) => log.warn({ err: err.message }, "port scan failed"))
        .finally(() => {
          scanning = undefined;
          schedule();
        });
    }, options.intervalMs);
  }

  return {
    get running() {
      return running;
    },
    current: () => [...known.values()],
    hide(address, port) {
      hidden.add(listenerKey({ address, port }));
    },
    subscribe(listener) {
      subscribers.add(listener);
      return () => void subscribers.delete(listener);
    },
    start() {
      if (running) return;
      running = true;
      scanning = scan()
        .catch((err: Error) => log.warn({ err: err.message }, "port scan failed"))
        .finally(() => {
          scanning = undefined;
          schedule();
        });
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await scanning;
      clearTimeout(timer);
      for (const list of forwarders.values()) for (const f of list) f.close();
      forwarders.clear();
      // Forwarded flags are stale now; the next scan after start() reports them again.
      known = new Map([...known].map(([k, p]) => [k, { ...p, forwarded: false }]));
    },
  };
}
