import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { Logger } from "@wrenn/shared";
import { DialError } from "./dial-error.js";

/**
 * Dials ports inside a network namespace the host has no route into (an
 * isolated namespace sandbox: loopback only). Node cannot setns(), so one
 * small helper per sandbox runs in that namespace (nsenter --net, then Node):
 * it connects to loopback and hands the connected socket back over its IPC
 * channel (SCM_RIGHTS). The agent then owns the file descriptor and pipes it
 * itself: the helper never carries a byte of traffic. Helpers start on the
 * first dial, end when the sandbox goes, and exit when idle.
 */
export interface NetnsDialer {
  dial(sandboxId: string, netns: { path: string; inode: number }, port: number, signal: AbortSignal): Promise<Socket>;
  /** Ends the sandbox's helper (its sandbox is gone or paused). */
  release(sandboxId: string): void;
  close(): void;
}

/**
 * The helper, run with `node -e` (so it needs no file on disk and works from a
 * bundle too). It connects to 127.0.0.1, then ::1 (a listener bound to ::1
 * only), pauses the socket before any byte is read so nothing is lost, and
 * sends it with the answer. It exits when the agent goes (IPC disconnect).
 */
const helperScript = `
const net = require("node:net");
// The namespace must be the sandbox's, not whatever a reused pid now points to.
if (String(require("node:fs").statSync("/proc/self/ns/net").ino) !== process.env.WRENN_NETNS_INODE) {
  process.stderr.write("not the sandbox's network namespace (its PID 1 is gone)\\n");
  process.exit(3);
}
function attempt(id, port, hosts) {
  const s = net.connect({ host: hosts[0], port, noDelay: true });
  const timer = setTimeout(() => s.destroy(Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" })), 5000);
  s.once("connect", () => { clearTimeout(timer); s.pause(); process.send({ id, ok: true }, s); });
  s.once("error", (e) => {
    clearTimeout(timer);
    if (hosts.length > 1 && (e.code === "ECONNREFUSED" || e.code === "EADDRNOTAVAIL")) return attempt(id, port, hosts.slice(1));
    process.send({ id, ok: false, code: e.code || "EIO", message: e.message });
  });
}
process.on("message", (m) => attempt(m.id, m.port, ["127.0.0.1", "::1"]));
process.on("disconnect", () => process.exit(0));
`;

const idleExitMs = 60_000;

interface Pending {
  resolve(socket: Socket): void;
  reject(err: Error): void;
}

interface Helper {
  child: ChildProcess;
  pending: Map<number, Pending>;
  idle?: NodeJS.Timeout;
}

export function createNetnsDialer(logger: Logger): NetnsDialer {
  const helpers = new Map<string, Helper>();
  let nextId = 1;

  function stop(sandboxId: string, helper: Helper, why: string): void {
    if (helpers.get(sandboxId) === helper) helpers.delete(sandboxId);
    clearTimeout(helper.idle);
    for (const p of helper.pending.values()) p.reject(new DialError("EHELPER", why));
    helper.pending.clear();
    if (helper.child.exitCode === null && helper.child.signalCode === null) helper.child.kill("SIGKILL");
  }

  function start(sandboxId: string, netns: { path: string; inode: number }): Helper {
    // A clean environment: the agent's NODE_OPTIONS (tsx's loader) must not follow the helper.
    const child = spawn("nsenter", [`--net=${netns.path}`, "--", process.execPath, "--max-old-space-size=32", "-e", helperScript], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", WRENN_NETNS_INODE: String(netns.inode) },
    });
    const helper: Helper = { child, pending: new Map() };
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString("utf8");
    });
    child.on("error", (err) => stop(sandboxId, helper, `could not start the namespace dialer: ${err.message}`));
    child.on("exit", (code, signal) => {
      if (helper.pending.size > 0) logger.warn({ sandboxId, code, signal, stderr: stderr.slice(0, 500) }, "namespace dialer exited");
      stop(sandboxId, helper, `could not enter the sandbox's network namespace${stderr ? `: ${stderr.trim().split("\n")[0]}` : ""}`);
    });
    child.on("message", (message: { id: number; ok: boolean; code?: string; message?: string }, handle?: Socket) => {
      const pending = helper.pending.get(message.id);
      if (!pending) {
        handle?.destroy();
        return;
      }
      helper.pending.delete(message.id);
      if (message.ok && handle) pending.resolve(handle);
      else pending.reject(new DialError(message.code ?? "EIO", message.message ?? "connect failed"));
    });
    helpers.set(sandboxId, helper);
    return helper;
  }

  return {
    dial(sandboxId, netns, port, signal) {
      const helper = helpers.get(sandboxId) ?? start(sandboxId, netns);
      clearTimeout(helper.idle);
      helper.idle = setTimeout(() => stop(sandboxId, helper, "idle"), idleExitMs).unref();
      const id = nextId++;
      return new Promise<Socket>((resolve, reject) => {
        const onAbort = () => {
          helper.pending.delete(id);
          reject(new DialError("EABORTED", "the tunnel was closed while dialling"));
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        helper.pending.set(id, {
          resolve(socket) {
            signal.removeEventListener("abort", onAbort);
            resolve(socket);
          },
          reject(err) {
            signal.removeEventListener("abort", onAbort);
            reject(err);
          },
        });
        helper.child.send({ id, port }, (err) => {
          if (!err) return;
          const pending = helper.pending.get(id);
          helper.pending.delete(id);
          pending?.reject(new DialError("EHELPER", `the namespace dialer is gone: ${err.message}`));
        });
      }).then((socket) => {
        // A socket that arrives after its tunnel was given up is closed, not leaked.
        if (signal.aborted) {
          socket.destroy();
          throw new DialError("EABORTED", "the tunnel was closed while dialling");
        }
        return socket;
      });
    },
    release(sandboxId) {
      const helper = helpers.get(sandboxId);
      if (helper) stop(sandboxId, helper, "the sandbox is no longer reachable");
    },
    close() {
      for (const [sandboxId, helper] of [...helpers]) stop(sandboxId, helper, "the host agent is stopping");
    },
  };
}
