import { lstatSync, unlinkSync } from "node:fs";
import type { ListenTarget } from "./lifecycle/connections.js";

/**
 * Prepares a listen address: for "unix:/path" a socket left by a previous
 * run is removed (anything else at that path is an error, never deleted).
 */
export function prepareListenAddress(address: string): void {
  if (!address.startsWith("unix:")) return;
  const path = address.slice("unix:".length).replace(/^\/\//, "/");
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new Error(`WRENN_ENVD_LISTEN: ${path} exists and is not a socket`);
  unlinkSync(path);
}

/** "unix:/path" (or "unix:///path") → a socket path; "host:port" / "[v6]:port" → host and port. */
export function parseListenAddress(address: string): ListenTarget {
  if (address.startsWith("unix:")) return { path: address.slice("unix:".length).replace(/^\/\//, "/") };
  const colon = address.lastIndexOf(":");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`WRENN_ENVD_LISTEN: "${address}" is neither host:port nor unix:/path`);
  }
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port };
}

/** The address actually bound, for the "listening" log line. */
export function boundAddress(target: ListenTarget, port: number): string {
  if ("path" in target) return `unix:${target.path}`;
  return target.host.includes(":") ? `[${target.host}]:${port}` : `${target.host}:${port}`;
}
