import type { ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { ReadinessCheck } from "../observability/readiness.js";
import { docsContentSecurityPolicy, type DocsAssets } from "./docs-page.js";
import { sendJson } from "./gateway-error.js";

/** The gateway's own paths, open to anyone (no handler route may take them). */
export const gatewayPaths = ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"];

export interface OpsRoutesOptions {
  openApiJson: string;
  docs: DocsAssets;
  /** Unset: /metrics is 404. */
  registry?: Registry;
  /** Unset: /readyz answers like /healthz. */
  readiness?: () => Promise<ReadinessCheck[]>;
  /** A server that is shutting down is not ready: load balancers stop sending to it. */
  draining(): boolean;
}

export interface OpsRoutes {
  /** Answers a GET or HEAD of a gateway path; returns the label it counts under, or undefined when the path is none of them. */
  serve(rawPath: string, res: ServerResponse): Promise<string | undefined>;
}

export function createOpsRoutes(options: OpsRoutesOptions): OpsRoutes {
  return {
    async serve(rawPath, res) {
      if (rawPath === "/healthz") {
        sendJson(res, 200, { status: "ok" });
        return rawPath;
      }
      if (rawPath === "/readyz") {
        await readyz(res);
        return rawPath;
      }
      if (rawPath === "/metrics" && options.registry) {
        await metrics(options.registry, res);
        return rawPath;
      }
      if (rawPath === "/openapi.json") {
        send(res, "application/json; charset=utf-8", options.openApiJson);
        return rawPath;
      }
      if (rawPath === "/docs") {
        // Relative, so the page's relative asset URLs resolve under any path prefix.
        res.writeHead(301, { location: "docs/", "content-length": 0 });
        res.end();
        return "/docs";
      }
      if (rawPath.startsWith("/docs/")) {
        const file = await options.docs.file(rawPath.slice("/docs/".length));
        if (!file) return undefined;
        send(res, file.contentType, file.body, { "content-security-policy": docsContentSecurityPolicy, "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" });
        return "/docs";
      }
      return undefined;
    },
  };

  async function readyz(res: ServerResponse): Promise<void> {
    const checks = options.draining() ? [{ name: "server", ok: false, detail: "shutting down" }] : await (options.readiness?.() ?? []);
    const ready = checks.every((check) => check.ok);
    sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks: Object.fromEntries(checks.map((c) => [c.name, { ok: c.ok, detail: c.detail }])) }, { "cache-control": "no-store" });
  }
}

async function metrics(registry: Registry, res: ServerResponse): Promise<void> {
  let text: string;
  try {
    text = await registry.metrics();
  } catch {
    // A collector that could not read (the database): fail the scrape rather than report made-up numbers.
    sendJson(res, 503, { status: "unavailable", message: "a metric could not be collected" }, { "cache-control": "no-store" });
    return;
  }
  send(res, registry.contentType, text, { "cache-control": "no-store" });
}

function send(res: ServerResponse, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(200, { ...headers, "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
