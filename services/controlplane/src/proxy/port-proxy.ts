import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { Status, type Logger } from "@wrenn/shared";
import { refuseUpgrade, type FrontHandler, type HttpRequestInfo } from "../gateway/index.js";
import { GatewayError, resolveError } from "../gateway/gateway-error.js";
import type { HostRegistry } from "../hosts/host-registry.js";
import type { SandboxLifecycle } from "../lifecycle/sandbox-lifecycle.js";
import type { ControlPlaneMetrics } from "../observability/metrics.js";
import type { RequestAttributes } from "../request-attributes.js";
import { decideAccess, notFound } from "./access.js";
import { defaultRetryPolicy, type RetryPolicy } from "./dial-retry.js";
import { forwardHttp } from "./forward-http.js";
import { forwardUpgrade } from "./forward-upgrade.js";
import { createAddressReader, type ProxyAddress } from "./proxy-address.js";
import { proxyFailure } from "./proxy-errors.js";
import { finished, readyTarget, sandboxIdOf } from "./sandbox-readiness.js";
import { createTunnelPool, type TunnelTarget } from "./tunnel-pool.js";

export interface PortProxyOptions {
  /** Host form `{port}-{sandbox}.{domain}`; "localhost" by default (resolves to loopback without DNS). */
  domain: string;
  lifecycle: SandboxLifecycle;
  hosts: Pick<HostRegistry, "portProxyFor" | "tunnelTlsFor">;
  /** The request hooks (identity's authentication first), as the gateway's handler routes run them. */
  authorize(request: HttpRequestInfo): Promise<RequestAttributes>;
  metrics: ControlPlaneMetrics;
  logger: Logger;
  /** Retries of a closed port while a server comes up; ~10 s by default. */
  retry?: RetryPolicy;
  /** How often agents of finished sandboxes and idle agents are dropped; 60 s by default. */
  sweepMs?: number;
  /** How long an idle keep-alive tunnel is kept; 4 s by default. */
  idleSocketMs?: number;
}

export interface PortProxy {
  front: FrontHandler;
  close(): Promise<void>;
}

/** An agent unused this long is dropped by the sweep (its sockets are long closed by then). */
const idleAgentMs = 5 * 60_000;

/**
 * The port proxy: a front handler on the API's HTTP port that takes both
 * address forms (proxy-address.ts), decides access (access.ts), resumes an
 * autoResume sandbox, and forwards HTTP/1.1 requests through a keep-alive
 * agent per sandbox port, or an upgrade through a tunnel of its own, to the
 * host agent's port tunnel.
 */
export function createPortProxy(options: PortProxyOptions): PortProxy {
  const { lifecycle, hosts, authorize, metrics, logger } = options;
  const reader = createAddressReader(options.domain);
  const pool = createTunnelPool(options.retry ?? defaultRetryPolicy, options.idleSocketMs);
  const upgraded = new Set<Duplex>();

  /** Everything up to the dial: the address, the sandbox, access, and the sandbox running. */
  async function prepare(req: IncomingMessage, signal: AbortSignal): Promise<{ kind: "answer"; status: number; headers: Record<string, string> } | { kind: "go"; address: ProxyAddress; target: TunnelTarget }> {
    const reading = reader.read(req.headers.host, req.url ?? "/");
    if (reading.kind === "malformed") throw new GatewayError(Status.INVALID_ARGUMENT, reading.message);
    if (reading.kind === "add_slash") return { kind: "answer", status: 308, headers: { location: reading.location } };
    const { address } = reading;
    const sandboxId = sandboxIdOf(address);
    const record = await lifecycle.find(sandboxId);
    // Whoever asks, a sandbox found gone or finished has no use for its tunnels.
    if (!record || finished.has(record.status)) pool.evictSandbox(sandboxId);
    const access = await decideAccess(req, address, record, authorize);
    if (access.kind === "redirect") return { kind: "answer", status: 307, headers: { location: access.location, "set-cookie": access.setCookie, "cache-control": "no-store" } };
    // decideAccess lets no request through to an unknown sandbox; this only tells the compiler.
    if (!record) throw notFound(address);
    return { kind: "go", address, target: await readyTarget({ lifecycle, hosts }, record, address, signal) };
  }

  function failed(err: unknown, address: ProxyAddress, target: TunnelTarget): unknown {
    const { error, gone } = proxyFailure(err, address);
    if (gone) pool.evictSandbox(target.sandboxId);
    return error;
  }

  const sweep = setInterval(() => {
    void (async () => {
      for (const id of pool.sandboxIds()) {
        const record = await lifecycle.find(id);
        if (!record || finished.has(record.status)) pool.evictSandbox(id);
      }
      pool.evictIdle(Date.now() - idleAgentMs);
    })().catch((err: unknown) => logger.warn({ err }, "port proxy sweep failed"));
  }, options.sweepMs ?? 60_000);
  sweep.unref();

  const front: FrontHandler = {
    name: "port-proxy",
    claims: (req) => reader.claims(req.headers.host, req.url ?? "/"),

    async handle(req: IncomingMessage, res: ServerResponse) {
      const abort = new AbortController();
      res.once("close", () => abort.abort());
      const prepared = await prepare(req, abort.signal);
      if (prepared.kind === "answer") {
        res.writeHead(prepared.status, { ...prepared.headers, "content-length": 0 });
        res.end();
        return;
      }
      const { address, target } = prepared;
      try {
        await forwardHttp(req, res, address, pool.agentFor(target), metrics);
      } catch (err) {
        throw failed(err, address, target);
      }
    },

    async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      const abort = new AbortController();
      socket.once("close", () => abort.abort());
      try {
        const prepared = await prepare(req, abort.signal);
        if (prepared.kind === "answer") {
          const lines = [`HTTP/1.1 ${prepared.status} Redirect`, "connection: close", "content-length: 0", ...Object.entries(prepared.headers).map(([k, v]) => `${k}: ${v}`)];
          socket.end(lines.join("\r\n") + "\r\n\r\n");
          return;
        }
        const { address, target } = prepared;
        const tunnel = await pool.dial(target, abort.signal).catch((err: unknown) => {
          throw failed(err, address, target);
        });
        if (socket.destroyed) return void tunnel.destroy();
        upgraded.add(socket);
        socket.once("close", () => upgraded.delete(socket));
        forwardUpgrade(req, socket, head, address, tunnel, metrics);
      } catch (err) {
        const resolved = resolveError(err);
        if (!resolved.expected) logger.error({ err, path: req.url?.split("?")[0] }, "port proxy upgrade failed");
        refuseUpgrade(socket, resolved.code, resolved.message, resolved.httpStatus, resolved.headers);
      }
    },
  };

  return {
    front,
    close() {
      clearInterval(sweep);
      pool.close();
      for (const socket of upgraded) socket.destroy();
      upgraded.clear();
      return Promise.resolve();
    },
  };
}
