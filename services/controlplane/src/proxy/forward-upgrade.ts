import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ControlPlaneMetrics } from "../observability/metrics.js";
import { upstreamHeaders } from "./forward-headers.js";
import type { ProxyAddress } from "./proxy-address.js";

/**
 * Hands an upgrade (a WebSocket) to the sandbox's server over a tunnel of
 * its own: the request head rewritten as for plain requests, then bytes
 * both ways untouched, the server's 101 (or refusal) included. Either side
 * closing closes the other.
 */
export function forwardUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, address: ProxyAddress, tunnel: Socket, metrics: ControlPlaneMetrics): void {
  const headers = upstreamHeaders(req, address, { upgrade: true });
  if (!headers.host) headers.host = `localhost:${address.port}`;
  const lines = [`${req.method ?? "GET"} ${address.upstreamPath} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
  }
  tunnel.write(lines.join("\r\n") + "\r\n\r\n");
  if (head.length > 0) {
    metrics.countProxyBytes("in", head.length);
    tunnel.write(head);
  }
  client.on("data", (chunk: Buffer) => metrics.countProxyBytes("in", chunk.length));
  tunnel.on("data", (chunk: Buffer) => metrics.countProxyBytes("out", chunk.length));
  const closeBoth = () => {
    client.destroy();
    tunnel.destroy();
  };
  client.on("error", closeBoth);
  tunnel.on("error", closeBoth);
  client.on("close", closeBoth);
  tunnel.on("close", closeBoth);
  client.pipe(tunnel);
  tunnel.pipe(client);
}
