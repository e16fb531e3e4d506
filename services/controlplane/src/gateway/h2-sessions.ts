import { createServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import type { TLSSocket } from "node:tls";

export interface H2Sessions {
  /** Serves an `h2`-negotiated TLS socket as one HTTP/2 session. */
  accept(socket: TLSSocket): void;
  /** GOAWAY to every session: no new streams, open ones finish, then each session closes. */
  close(): void;
  /** Cuts every session that is still open. */
  destroy(): void;
}

/**
 * The HTTP/2 side of the TLS listener: sessions are handed in by the TLS
 * server after ALPN (this server never listens itself), each stream becomes
 * one `onRequest` call with Node's compatibility request and response.
 * A session with no open stream is closed after `idleMs`, as HTTP/1.1
 * closes an idle keep-alive connection.
 */
export function createH2Sessions(
  options: { idleMs: number; maxHeaderBytes: number; maxHeaderPairs: number },
  onRequest: (req: Http2ServerRequest, res: Http2ServerResponse) => void,
): H2Sessions {
  const server = createServer(
    {
      // Advertised to clients; Node refuses a stream whose headers go beyond it.
      settings: { maxHeaderListSize: options.maxHeaderBytes },
      maxHeaderListPairs: options.maxHeaderPairs,
    },
    onRequest,
  );
  const sessions = new Set<ServerHttp2Session>();
  let closing = false;

  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => session.close(), options.idleMs);
      idle.unref();
    };
    armIdle();
    session.on("stream", (stream) => {
      open += 1;
      clearTimeout(idle);
      stream.once("close", () => {
        open -= 1;
        if (open === 0) armIdle();
      });
    });
    // A peer's protocol error ends its own session, never the process.
    session.on("error", () => session.destroy());
    session.once("close", () => {
      clearTimeout(idle);
      sessions.delete(session);
    });
    if (closing) session.close();
  });
  server.on("sessionError", () => {});

  return {
    accept(socket) {
      socket.on("error", () => socket.destroy());
      server.emit("connection", socket);
    },
    close() {
      closing = true;
      for (const session of sessions) session.close();
    },
    destroy() {
      for (const session of sessions) session.destroy();
    },
  };
}
