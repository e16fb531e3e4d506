import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The controlplane's Prometheus metrics, served at /metrics. One registry per
 * controlplane (not prom-client's global one), so two in one process (tests)
 * never share counters.
 */
export interface ControlPlaneMetrics {
  readonly registry: Registry;
  /** One finished HTTP request: `route` is the template ("/v1/sandboxes/{sandbox_id}"), never the raw path. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** Bytes the port proxy carried: "in" from clients toward sandboxes, "out" back. */
  countProxyBytes(direction: "in" | "out", bytes: number): void;
}

export function createControlPlaneMetrics(): ControlPlaneMetrics {
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
