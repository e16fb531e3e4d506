import { connect, type Socket } from "node:net";

/** What the tunnel answered to a CONNECT, and the socket (open after a 200, for the caller to speak through). */
export interface TunnelReply {
  status: number;
  head: string;
  body: string;
  socket: Socket;
}

/** Sends `request` raw to the tunnel and reads its answer head (and, unless it is 200, the body until close). */
export function sendRaw(address: string, request: string | Buffer): Promise<TunnelReply> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    let status = 0;
    let head = "";
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (status === 0 && end >= 0) {
        head = received.subarray(0, end).toString("latin1");
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? -1);
        received = received.subarray(end + 4);
        if (status === 200) {
          socket.off("data", onData);
          socket.off("end", onEnd);
          if (received.length > 0) socket.unshift(received);
          resolve({ status, head, body: "", socket });
        }
      }
    };
    const onEnd = () => {
      if (status === 0) reject(new Error(`the tunnel closed without an answer: ${received.toString("latin1")}`));
      else resolve({ status, head, body: received.toString("utf8"), socket });
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", reject);
    socket.write(request);
  });
}

/** CONNECT to a port of a sandbox through the tunnel. */
export function tunnelTo(address: string, sandboxId: string, port: number): Promise<TunnelReply> {
  return sendRaw(address, `CONNECT ${sandboxId}:${port} HTTP/1.1\r\nHost: ${sandboxId}:${port}\r\n\r\n`);
}

/** One HTTP/1.0 GET over an open tunnel; resolves with everything the server sent before closing. */
export function getOver(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.once("error", reject);
    socket.write(`GET ${path} HTTP/1.0\r\nHost: sandbox\r\n\r\n`);
  });
}

/** Resolves when the socket is closed by the other side (or errors). */
export function closedBy(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.resume();
    socket.once("close", () => resolve());
  });
}

function splitAddress(address: string): [string, number] {
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match) throw new Error(`not host:port: ${address}`);
  return [match[1]!.replace(/^\[(.*)\]$/, "$1"), Number(match[2])];
}
