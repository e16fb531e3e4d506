import { connect, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { serverNameCheck } from "@wrenn/shared/pki/index";
import type { HostTls } from "../hosts/host-connection.js";

/** The host agent's port tunnel answered the CONNECT with something other than 200. */
export class TunnelRefusal extends Error {
  constructor(
    /** 404 unknown sandbox, 409 not running, 502 nothing listening on the port, 400 malformed. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The tunnel itself could not be reached (the agent is down or restarting). */
export class TunnelUnreachable extends Error {}

/** A host agent that does not answer the CONNECT by then is taken as unreachable (not a hang until the OS gives up). */
const answerTimeoutMs = 5_000;

/** A response head bigger than this is not a tunnel's answer. */
const maxHeadBytes = 16 * 1024;

/**
 * Opens one tunnel: `CONNECT sb-…:port` to the host agent's port tunnel at
 * `address` ("host:port"), and resolves with the socket once the agent said
 * 200, carrying raw bytes to the guest's port from then on. Bytes the agent
 * sent after its head are put back in front of the socket's stream.
 */
export function openTunnel(address: string, wireId: string, port: number, signal?: AbortSignal, tls?: HostTls): Promise<Socket> {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const tunnelPort = Number(address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    // A registered host's tunnel speaks mutual TLS, with the same certificates as its gRPC listener.
    const socket = tls
      ? connectTls({
          host,
          port: tunnelPort,
          servername: tls.serverName,
          ca: tls.identity.caCertificatePem,
          cert: tls.identity.certificatePem,
          key: tls.identity.privateKeyPem,
          checkServerIdentity: serverNameCheck(tls.serverName),
        })
      : connect({ host, port: tunnelPort });
    let head = Buffer.alloc(0);
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(abortError());
    const timer = setTimeout(() => fail(new TunnelUnreachable(`the host agent's port tunnel at ${address} did not answer`)), answerTimeoutMs);
    const onError = (err: Error) => fail(new TunnelUnreachable(`the host agent's port tunnel at ${address} is unreachable: ${err.message}`));
    const onClose = () => fail(new TunnelUnreachable(`the host agent's port tunnel at ${address} closed the connection`));
    // Paused mode ('readable' + read()), so that once the head is taken the
    // stream is left neither flowing nor paused: the next 'data' listener
    // (the HTTP client's parser, or a pipe) gets every byte after it.
    const onReadable = () => {
      let chunk: Buffer | null;
      while (!settled && (chunk = socket.read() as Buffer | null) !== null) takeChunk(chunk);
    };
    const takeChunk = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > maxHeadBytes) fail(new TunnelUnreachable("the port tunnel's answer is not HTTP"));
        return;
      }
      const statusLine = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      if (status !== 200) return fail(new TunnelRefusal(status, statusLine));
      settled = true;
      cleanup();
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    function cleanup() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("readable", onReadable);
      socket.off("error", onError);
      socket.off("close", onClose);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.on("readable", onReadable);
    socket.once(tls ? "secureConnect" : "connect", () => {
      socket.setNoDelay(true);
      const target = `${wireId}:${port}`;
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
    });
  });
}

function abortError(): Error {
  const err = new Error("the client went away");
  err.name = "AbortError";
  return err;
}
