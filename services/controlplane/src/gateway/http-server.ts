import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { asHttp1Exchange } from "./h2-compat.js";
import { createH2Sessions, type H2Sessions } from "./h2-sessions.js";

/** Limits of the HTTP server itself, before any route sees a request. */
export interface HttpServerLimits {
  /** Time a client has to send the request line and headers (slowloris): then 408 and the connection closes. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long without a request. */
  keepAliveTimeoutMs: number;
  /** Request line plus headers, in bytes: beyond it, 431. */
  maxHeaderBytes: number;
}

export const defaultServerLimits: HttpServerLimits = {
  headersTimeoutMs: 20_000,
  // Longer than the usual load balancer idle timeout (60 s), so the balancer closes first and never reuses a closed socket.
  keepAliveTimeoutMs: 65_000,
  maxHeaderBytes: 32 * 1024,
};

/** PEM certificate chain and key: the server speaks HTTPS (HTTP/2 or HTTP/1.1 over TLS, by ALPN) instead of plain HTTP. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface DrainingServer {
  /** An https.Server under TLS: the same events and connection calls, typed as the plain one. */
  server: Server;
  /** True once shutdown began: new upgrades are refused, HTTP/1.1 responses carry `Connection: close`, HTTP/2 sessions get GOAWAY. */
  readonly draining: boolean;
  /**
   * Stops accepting connections and lets in-flight requests, streams and
   * upgraded sockets (WebSockets, proxied upgrades: close() does not track
   * them) finish for up to `graceMs`, then cuts what is left. Resolves with
   * how many were cut once every connection is gone.
   */
  shutdown(graceMs: number): Promise<{ cut: number }>;
}

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * An http.Server (an https.Server offering h2 and http/1.1 when given TLS credentials) with header, idle and header-size limits and no total
 * request time (streams and downloads may run for hours), which keeps count
 * of what is in flight so a shutdown can wait for it.
 */
export function createDrainingServer(
  limits: HttpServerLimits,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  onUpgrade: UpgradeListener,
  refuseWhileDraining: (socket: Duplex) => void,
  tls?: TlsCredentials,
): DrainingServer {
  const httpOptions: ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the header timeout on this period: keep it a fraction of the timeout so the limit holds.
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const onEachRequest = (req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    res.once("close", () => {
      inFlight.delete(res);
      // A keep-alive connection whose response began before the drain is idle now: close it.
      if (draining) server.closeIdleConnections();
      settle();
    });
    if (draining) res.setHeader("connection", "close");
    onRequest(req, res);
  };
  // Under TLS, ALPN picks the protocol per connection: http/1.1 sockets go to the https.Server's own
  // HTTP/1 code (byte for byte what the plain listener does, upgrades included), h2 ones to an HTTP/2 session.
  const server: Server = tls
    ? (createTlsServer(
        // A handshake gets no longer than the headers would: a client that never finishes it holds no socket for long.
        { ...httpOptions, cert: tls.cert, key: tls.key, ALPNProtocols: ["h2", "http/1.1"], handshakeTimeout: limits.headersTimeoutMs },
        onEachRequest,
      ) as unknown as Server)
    : createServer(httpOptions, onEachRequest);
  const h2: H2Sessions | undefined = tls
    ? createH2Sessions({ idleMs: limits.keepAliveTimeoutMs, maxHeaderBytes: limits.maxHeaderBytes, maxHeaderPairs: 200 }, (req, res) => {
        const exchange = asHttp1Exchange(req, res);
        onEachRequest(exchange.req, exchange.res);
      })
    : undefined;
  if (h2) byAlpn(server, h2);
  server.maxHeadersCount = 200;
  const inFlight = new Set<ServerResponse>();
  const upgraded = new Set<Duplex>();
  let draining = false;
  let settle: () => void = () => {};

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (draining) return refuseWhileDraining(socket);
    upgraded.add(socket);
    socket.once("close", () => {
      upgraded.delete(socket);
      settle();
    });
    onUpgrade(req, socket, head);
  });

  return {
    server,
    get draining() {
      return draining;
    },
    async shutdown(graceMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      h2?.close();
      const done = new Promise<void>((resolve) => {
        settle = () => {
          if (inFlight.size === 0 && upgraded.size === 0) resolve();
        };
        settle();
      });
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
      const timedOut = await Promise.race([done.then(() => false), expired]);
      clearTimeout(timer);
      const cut = timedOut ? inFlight.size + upgraded.size : 0;
      // Also when nothing is in flight: a connection whose response was closed
      // early (its client cancelled a stream) can stay listed as active and hold close() open.
      server.closeAllConnections();
      h2?.destroy();
      for (const socket of upgraded) socket.destroy();
      await closed;
      return { cut };
    },
  };
}

/** Routes each TLS connection by its negotiated protocol: h2 to the HTTP/2 sessions, anything else to the server's HTTP/1 listener. */
function byAlpn(server: Server, h2: H2Sessions): void {
  const [http1] = server.listeners("secureConnection") as ((socket: TLSSocket) => void)[];
  server.removeListener("secureConnection", http1);
  server.on("secureConnection", (socket: TLSSocket) => (socket.alpnProtocol === "h2" ? h2.accept(socket) : http1.call(server, socket)));
}
