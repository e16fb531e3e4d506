/**
 * `Sandbox.domain` for a request: the configured domain's host with the
 * port the request arrived on, left out where it is the scheme's default.
 * The SDKs reach `<port>-<id>.<domain>` with the scheme they used for the
 * API, so a request on the TLS listener gets that listener's port, and a
 * listener on port 0 (the test stacks') its real one.
 */
export function domainFor(configured: string, socket: { localPort?: number; encrypted?: boolean }): string {
  const host = configured.replace(/:\d*$/, "");
  const port = socket.localPort;
  if (!port || port === (socket.encrypted ? 443 : 80)) return host;
  return `${host}:${port}`;
}
