import { createServer, type IncomingMessage } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { RotatingCertificates, TlsIdentity } from "@wrenn/shared/pki/index";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "@wrenn/shared";
import type { PortReachState } from "../sandbox/sandbox-manager.js";
import type { DialError } from "./dial-error.js";
import { dialPort } from "./dial-port.js";
import { createNetnsDialer } from "./netns-dialer.js";
import { established, parseTarget, refuse, usage } from "./tunnel-answer.js";

/**
 * The port tunnel: a plain HTTP/1.1 listener beside the gRPC port, through
 * which the controlplane's port proxy reaches servers in sandboxes.
 * `CONNECT sb-<32 hex>:<port> HTTP/1.1` is answered `200 Connection
 * Established` and the socket is then piped to that port of the sandbox, raw;
 * otherwise 400 (malformed), 404 (unknown sandbox), 409 (paused, pausing or
 * starting: answered at once, a frozen guest is never dialled), 502 (nothing
 * listens there, or the sandbox has no network the host reaches). Node's own
 * HTTP parser reads the request, so header limits and timeouts are its.
 */
export interface PortTunnel {
  /** "host:port" actually bound (the caller logs it). */
  address: string;
  /** Cuts every tunnel into the sandbox (and dials in progress). */
  closeSandbox(sandboxId: string): void;
  close(): Promise<void>;
}

export interface PortTunnelOptions {
  /** "host:port"; port 0 picks one. */
  listen: string;
  lookup(sandboxId: string): PortReachState | undefined;
  logger: Logger;
  /**
   * A registered agent's certificates: the tunnel is then mutual TLS (a
   * client certificate from the platform's CA is required), following
   * rotations for new connections.
   */
  tls?: RotatingCertificates;
}

/** Time to send the CONNECT line and headers (slowloris): then 408 and the socket is gone. */
const headersTimeoutMs = 10_000;
const keepAliveProbeMs = 30_000;

interface Tunnel {
  client: Duplex;
  upstream?: Socket;
  dialling: AbortController;
}

export async function startPortTunnel(options: PortTunnelOptions): Promise<PortTunnel> {
  const log = options.logger.child({ component: "port-tunnel" });
  const dialer = createNetnsDialer(log);
  const open = new Map<string, Set<Tunnel>>();

  const httpOptions = {
    maxHeaderSize: 8192,
    headersTimeout: headersTimeoutMs,
    requestTimeout: headersTimeoutMs + 5000,
    // How often Node checks the two timeouts above (default 30 s).
    connectionsCheckingInterval: 1000,
    keepAliveTimeout: 5000,
    noDelay: true,
  };
  const contextOf = (identity: TlsIdentity) => ({ ca: identity.caCertificatePem, cert: identity.certificatePem, key: identity.privateKeyPem });
  const identity = options.tls?.current();
  const server = options.tls
    ? createTlsServer({ ...httpOptions, requestCert: true, rejectUnauthorized: true, ...(identity ? contextOf(identity) : {}) })
    : createServer(httpOptions);
  const stopFollowing = options.tls?.onUpdate((next) => (server as ReturnType<typeof createTlsServer>).setSecureContext(contextOf(next)));
  // A caller without a certificate from the CA (or before registration, anyone) fails the handshake; that is not news.
  server.on("tlsClientError", (err: Error) => log.debug({ err: err.message }, "refused a TLS client"));

  server.on("request", (req: IncomingMessage, res) => {
    res.on("error", () => {});
    res.writeHead(405, { "content-type": "text/plain; charset=utf-8", allow: "CONNECT", connection: "close" });
    res.end(`${usage}\n`);
    req.resume();
  });
  server.on("upgrade", (_req: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => {});
    refuse(socket, 405, usage);
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    socket.on("error", () => {});
    if (err.code === "ECONNRESET") return socket.destroy();
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    log.debug({ code: err.code }, "refused a malformed tunnel request");
    refuse(socket, status, status === 400 ? usage : (reasonText[status] ?? usage));
  });
  server.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    try {
      handleConnect(req.url, socket, head);
    } catch (err) {
      // Nothing a client sends may take the agent down.
      log.error({ err }, "port tunnel request failed");
      refuse(socket, 500, "internal error");
    }
  });

  function handleConnect(authority: string | undefined, client: Duplex, head: Buffer): void {
    const target = parseTarget(authority);
    if (!target) return refuse(client, 400, usage);
    const { sandboxId, port } = target;
    const reach = options.lookup(sandboxId);
    if (!reach) return refuse(client, 404, `sandbox ${sandboxId} not found`);
    if (reach.state !== "running") return refuse(client, 409, `sandbox ${sandboxId} is ${reach.state}; its ports are unreachable until it runs`);
    if (!reach.ports) return refuse(client, 502, `sandbox ${sandboxId} has no network the host can reach port ${port} through`);

    const tunnel: Tunnel = { client, dialling: new AbortController() };
    let set = open.get(sandboxId);
    if (!set) open.set(sandboxId, (set = new Set()));
    set.add(tunnel);
    const forget = () => {
      const current = open.get(sandboxId);
      current?.delete(tunnel);
      if (current?.size === 0) open.delete(sandboxId);
    };
    client.once("close", () => {
      tunnel.dialling.abort();
      tunnel.upstream?.destroy();
      forget();
    });

    dialPort(sandboxId, reach.ports, port, dialer, tunnel.dialling.signal).then(
      (upstream) => {
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        tunnel.upstream = upstream;
        upstream.on("error", () => {});
        upstream.setKeepAlive(true, keepAliveProbeMs);
        upstream.setNoDelay(true);
        (client as Socket).setKeepAlive?.(true, keepAliveProbeMs);
        upstream.once("close", () => client.destroy());
        client.write(established);
        if (head.length > 0) upstream.write(head);
        client.pipe(upstream);
        upstream.pipe(client);
        upstream.resume();
        log.debug({ sandboxId, port }, "tunnel open");
      },
      (err: Partial<DialError>) => {
        forget();
        const code = err.code ?? "EIO";
        if (code === "EABORTED") return client.destroy();
        const why =
          code === "ECONNREFUSED"
            ? `nothing is listening on port ${port} of sandbox ${sandboxId}`
            : `could not reach port ${port} of sandbox ${sandboxId}: ${code} (${err.message ?? "unknown error"})`;
        log.debug({ sandboxId, port, code }, "tunnel dial failed");
        refuse(client, 502, why);
      },
    );
  }

  const address = await listen(server, options.listen);
  // E.g. EMFILE on accept under a flood: logged, never thrown (an unhandled 'error' would end the agent).
  server.on("error", (err) => log.error({ err }, "port tunnel listener error"));

  return {
    address,
    closeSandbox(sandboxId) {
      dialer.release(sandboxId);
      const set = open.get(sandboxId);
      if (!set) return;
      open.delete(sandboxId);
      for (const tunnel of set) {
        tunnel.dialling.abort();
        tunnel.upstream?.destroy();
        tunnel.client.destroy();
      }
      log.info({ sandboxId, tunnels: set.size }, "closed the sandbox's port tunnels");
    },
    async close() {
      stopFollowing?.();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const set of open.values()) {
        for (const tunnel of set) {
          tunnel.dialling.abort();
          tunnel.upstream?.destroy();
          tunnel.client.destroy();
        }
      }
      open.clear();
      dialer.close();
      await closed;
    },
  };
}

const reasonText: Record<number, string> = {
  408: "the request line and headers took too long",
  431: "the request line or headers are too large",
};

function listen(server: ReturnType<typeof createServer> | ReturnType<typeof createTlsServer>, listen: string): Promise<string> {
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match) throw new Error(`port tunnel listen address must be host:port, got "${listen}"`);
  const host = match[1]!.replace(/^\[(.*)\]$/, "$1");
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(match[2]), host, () => {
      server.off("error", reject);
      const bound = server.address();
      const port = typeof bound === "object" && bound ? bound.port : Number(match[2]);
      resolve(`${match[1]}:${port}`);
    });
  });
}
