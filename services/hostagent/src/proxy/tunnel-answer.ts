import type { Duplex } from "node:stream";

const reasons: Record<number, string> = {
  200: "Connection Established",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** One plain-text answer, then the connection ends: a tunnel that was refused is never reused. */
export function refuse(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const text = `${body}\n`;
  const head = [
    `HTTP/1.1 ${status} ${reasons[status] ?? "Error"}`,
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(text)}`,
    "Connection: close",
  ];
  if (status === 405) head.push("Allow: CONNECT");
  socket.end(`${head.join("\r\n")}\r\n\r\n${text}`);
  // A peer that never reads must not keep the socket: end() waits for the write, so cap it.
  setTimeout(() => socket.destroy(), 2000).unref();
}

export const established = "HTTP/1.1 200 Connection Established\r\n\r\n";

export interface TunnelTarget {
  sandboxId: string;
  port: number;
}

const targetPattern = /^(sb-[0-9a-f]{32}):([0-9]{1,5})$/;

/** The CONNECT authority, `sb-<32 hex>:<port>`; undefined when it is anything else. */
export function parseTarget(authority: string | undefined): TunnelTarget | undefined {
  const match = targetPattern.exec(authority ?? "");
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { sandboxId: match[1]!, port };
}

export const usage = "the port tunnel takes CONNECT sb-<32 hex digits>:<port> HTTP/1.1";
