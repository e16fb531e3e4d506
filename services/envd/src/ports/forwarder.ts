import { createServer, connect, type Server, type Socket } from "node:net";
import type { Logger } from "@wrenn/shared";

/**
 * Makes a loopback-only listener reachable from outside the sandbox: listens
 * on the external address with the same port and pipes each connection to
 * the loopback listener. Closing it also ends the connections it carries.
 */
export interface Forwarder {
  readonly address: string;
  readonly port: number;
  close(): void;
}

export async function startForwarder(
  address: string,
  port: number,
  target: string,
  logger: Logger,
): Promise<Forwarder | undefined> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect({ host: target, port });
    sockets.add(inbound);
    sockets.add(outbound);
    const done = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on("error", done).on("close", done);
    outbound.on("error", done).on("close", done);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  const ok = await new Promise<boolean>((resolve) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      logger.debug({ address, port, code: err.code }, "cannot forward port");
      resolve(false);
    });
    server.listen({ host: address, port, exclusive: true }, () => resolve(true));
  });
  if (!ok) {
    server.close();
    return undefined;
  }
  server.on("error", () => {});
  logger.info({ address, port, target }, "forwarding port");
  return {
    address,
    port,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}
