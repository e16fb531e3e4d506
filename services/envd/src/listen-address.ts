import { lstatSync, unlinkSync } from "node:fs";

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

/** The address actually bound, for the "listening" log line. */
export function boundAddress(requested: string, port: number): string {
  if (requested.startsWith("unix:")) return requested;
  const host = requested.slice(0, requested.lastIndexOf(":"));
  return `${host}:${port}`;
}
