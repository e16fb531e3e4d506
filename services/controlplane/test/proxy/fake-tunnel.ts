import { connect, createServer, type Server, type Socket } from "node:net";

/** What the stand-in tunnel answers for a sandbox: pipes to a local port, or refuses as the agent does. */
export type TunnelBehaviour = "pipe" | "unknown" | "paused";

export interface FakeTunnel {
  /** "127.0.0.1:port" */
  address: string;
  /** wire id → behaviour; a sandbox not listed is unknown (404). */
  sandboxes: Map<string, TunnelBehaviour>;
  /** Every CONNECT target seen ("sb-…:port"), in order. */
  connects: string[];
  /** Tunnels open now. */
  open: Set<Socket>;
  close(): Promise<void>;
}

/**
 * A stand-in for the host agent's port tunnel: `CONNECT sb-…:port` is piped
 * to 127.0.0.1:port when the sandbox is known and running, and answered
 * 404 / 409 / 502 as the real one does otherwise.
 */
export async function startFakeTunnel(): Promise<FakeTunnel> {
  const sandboxes = new Map<string, TunnelBehaviour>();
  const connects: string[] = [];
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    let head = Buffer.alloc(0);
    client.on("error", () => client.destroy());
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      client.off("data", onData);
      const [method, target = ""] = head.subarray(0, end).toString("latin1").split(" ");
      connects.push(target);
      const [wireId, port] = target.split(":");
      const answer = (status: string) => client.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\n\r\n`);
      if (method !== "CONNECT") return answer("400 Bad Request");
      const behaviour = sandboxes.get(wireId) ?? "unknown";
      if (behaviour === "unknown") return answer("404 Not Found");
      if (behaviour === "paused") return answer("409 Conflict");
      const guest = connect({ host: "127.0.0.1", port: Number(port) });
      guest.once("error", () => answer(`502 Bad Gateway`));
      guest.once("connect", () => {
        guest.removeAllListeners("error");
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        const rest = head.subarray(end + 4);
        if (rest.length > 0) guest.write(rest);
        open.add(client);
        const both = () => {
          open.delete(client);
          client.destroy();
          guest.destroy();
        };
        client.on("close", both);
        guest.on("close", both);
        guest.on("error", both);
        client.pipe(guest);
        guest.pipe(client);
      });
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    sandboxes,
    connects,
    open,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
