import { constants as http2, type Http2Session } from "node:http2";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { Server as GrpcServer, type ServerCredentials } from "@grpc/grpc-js";
import type { Server as NiceServer } from "nice-grpc";

export interface ConnectionControl {
  /**
   * Sends GOAWAY on every connection: calls in flight finish, idle
   * connections close at once, clients reconnect for their next call.
   * Connections still busy after `graceMs` are cut.
   */
  closeAll(graceMs: number): void;
}

export interface EnvdListener extends ConnectionControl {
  /** The port bound (0 for a unix socket). */
  readonly port: number;
  /** Stops accepting new connections; the ones open are grpc-js's to close (server.shutdown). */
  close(): void;
}

export type ListenTarget = { host: string; port: number } | { path: string };

/**
 * envd accepts its own connections and hands the ones it admits to grpc-js
 * (a connection injector), so it can look at every peer before a byte of
 * HTTP/2 is read: `admit` false closes the socket at once. nice-grpc keeps
 * its grpc-js Server private and builds it in listen(); the bindAsync it
 * makes there is answered here instead of binding a port of grpc-js's own.
 */
export async function listenWithAdmission(server: NiceServer, target: ListenTarget, admit: (socket: Socket) => boolean): Promise<EnvdListener> {
  const proto = GrpcServer.prototype as unknown as { bindAsync: (...args: unknown[]) => unknown };
  const original = proto.bindAsync;
  let grpc: GrpcServer | undefined;
  let net: NetServer | undefined;
  proto.bindAsync = function (this: GrpcServer, _address: unknown, credentials: unknown, callback: unknown) {
    const done = callback as (err: Error | null, port: number) => void;
    const inject = this.createConnectionInjector(credentials as ServerCredentials);
    grpc = this;
    net = createServer((socket) => {
      if (admit(socket)) inject.injectConnection(socket);
      else socket.destroy();
    });
    net.once("error", (err) => done(err, 0));
    // A unix socket is born mode 0600 (bind() happens inside listen(), synchronously): its
    // file is visible, and may be moved by the host agent, from the moment it exists.
    const umask = "path" in target ? process.umask(0o177) : undefined;
    try {
      net.listen("path" in target ? { path: target.path } : { host: target.host, port: target.port, exclusive: true }, () => {
        const bound = net!.address();
        done(null, typeof bound === "object" && bound ? bound.port : 0);
      });
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
  };
  let port: number;
  try {
    port = await server.listen("path" in target ? `unix:${target.path}` : `${target.host}:${target.port}`);
  } finally {
    proto.bindAsync = original;
  }
  return {
    port,
    closeAll(graceMs) {
      if (grpc) drainSessions(grpc, graceMs);
    },
    close() {
      net?.close();
    },
  };
}

/**
 * GOAWAY on the sessions open now, and a cut of those still open after
 * `graceMs`. Not the injector's drain(): its timer cuts every session open
 * when it fires, including the ones clients opened after the GOAWAY (the
 * agent's Init right after AfterRestore would be cancelled). grpc-js keeps
 * its sessions per server in a private map; envd's only server is the
 * injector's, so every session there is one of ours.
 */
function drainSessions(grpc: GrpcServer, graceMs: number): void {
  const servers = (grpc as unknown as { http2Servers?: Map<unknown, { sessions: Set<Http2Session> }> }).http2Servers;
  const sessions = [...(servers?.values() ?? [])].flatMap((info) => [...info.sessions]);
  for (const session of sessions) if (!session.closed) session.close();
  setTimeout(() => {
    for (const session of sessions) if (!session.destroyed) session.destroy(undefined, http2.NGHTTP2_CANCEL);
  }, graceMs).unref();
}
