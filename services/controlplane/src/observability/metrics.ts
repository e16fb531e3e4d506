import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { sandboxStatuses, type SandboxStatus } from "../lifecycle/sandbox.js";

/**
 * The controlplane's Prometheus metrics, served at /metrics. One registry per
 * controlplane (not prom-client's global one), so two in one process (tests)
 * never share counters.
 */
export interface ControlPlaneMetrics {
  readonly registry: Registry;
  /**
   * One finished HTTP request: `route` is the template ("/v1/sandboxes/{sandbox_id}"),
   * never the raw path (a front handler's name, "port-proxy", for the proxy; "unmatched" when no route took it).
   */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** Bytes the port proxy carried: "in" from clients toward sandboxes, "out" back. */
  countProxyBytes(direction: "in" | "out", bytes: number): void;
}

export interface ControlPlaneMetricsOptions {
  /**
   * Sandboxes per status, asked of the database at each scrape (every copy
   * of the controlplane reports the same numbers: sum nothing across copies).
   */
  countSandboxesByStatus?: () => Promise<Partial<Record<SandboxStatus, number>>>;
}

export function createControlPlaneMetrics(options: ControlPlaneMetricsOptions = {}): ControlPlaneMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: "wrenn_http_request_duration_seconds",
    help: "HTTP requests by route template, method and status code, with their latency",
    labelNames: ["route", "method", "code"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const proxyBytes = new Counter({
    name: "wrenn_proxy_bytes_total",
    help: "Bytes carried by the port proxy, by direction (in: toward sandboxes, out: toward clients)",
    labelNames: ["direction"] as const,
    registers: [registry],
  });
  const count = options.countSandboxesByStatus;
  if (count) {
    new Gauge({
      name: "wrenn_sandboxes",
      help: "Sandboxes by status, from the database at scrape time (stopped ones until they are purged)",
      labelNames: ["status"] as const,
      registers: [registry],
      // A database that does not answer fails the scrape (503) rather than report zeros.
      async collect() {
        const counts = await count();
        for (const status of sandboxStatuses) this.set({ status }, counts[status] ?? 0);
      },
    });
  }
  // Both directions exist from the start, so a rate over them never starts from a missing series.
  proxyBytes.inc({ direction: "in" }, 0);
  proxyBytes.inc({ direction: "out" }, 0);
  return {
    registry,
    observeRequest(route, method, status, seconds) {
      requests.observe({ route, method, code: String(status) }, seconds);
    },
    countProxyBytes(direction, bytes) {
      if (bytes > 0) proxyBytes.inc({ direction }, bytes);
    },
  };
}
