import { connect, type Socket } from "node:net";
import type { PortReach } from "../runtime/runtime.js";
import { DialError } from "./dial-error.js";
import type { NetnsDialer } from "./netns-dialer.js";

/** Loopback or a /30 on this host: a connect that takes longer than this will not succeed. */
const connectTimeoutMs = 5000;

/** Opens a TCP connection to `port` of the sandbox, wherever its ports are (see PortReach). */
export function dialPort(sandboxId: string, reach: PortReach, port: number, dialer: NetnsDialer, signal: AbortSignal): Promise<Socket> {
  if (reach.kind === "netns") return dialer.dial(sandboxId, reach, port, signal);
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: reach.host, port, noDelay: true });
    const fail = (err: DialError) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(new DialError("EABORTED", "the tunnel was closed while dialling"));
    const timer = setTimeout(() => fail(new DialError("ETIMEDOUT", "connect timed out")), connectTimeoutMs);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("error", (err: NodeJS.ErrnoException) => fail(new DialError(err.code ?? "EIO", err.message)));
    socket.once("connect", () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    if (signal.aborted) onAbort();
  });
}
