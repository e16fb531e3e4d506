import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { Socket } from "node:net";
import { errors } from "@wrenn/shared";
import type { ProcessSpec } from "./process-spec.js";

const setprivPath = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/** A started child: for a PTY process `pid` is the program's pid, not the helper's. */
export interface SpawnedChild {
  child: ChildProcess;
  pid: number;
  stdin: Writable;
  stdout: Readable;
  /** Absent for a PTY process: the terminal merges both into stdout. */
  stderr?: Readable;
  /** The PTY helper's control socket (resize). */
  control?: Socket;
  /** The helper's own diagnostics for a PTY process. */
  diagnostics?: Readable;
}

/**
 * Spawns the child as the leader of a new process group (detached → setsid),
 * so a timeout or a cancelled call can kill it together with everything it
 * started. A PTY process runs under the wrenn-pty helper, which makes the
 * program the leader of its own session on the new terminal and reports its
 * pid. Resolves once the exec succeeded; spawn failures become statuses.
 */
export async function spawnChild(spec: ProcessSpec, ptyHelper: string | undefined): Promise<SpawnedChild> {
  let file = spec.file;
  let args = spec.args;
  if (spec.pty) {
    if (!ptyHelper) throw errors.failedPrecondition("PTY support is not installed (wrenn-pty helper missing)");
    file = ptyHelper;
    args = [String(spec.pty.rows), String(spec.pty.cols), spec.file, spec.cmd, ...spec.args];
  }
  const daemonUid = process.getuid?.() ?? 0;
  let ids: { uid?: number; gid?: number } = {};
  if (spec.user.uid !== daemonUid) {
    const supplementary = spec.user.gids.slice(1);
    // Node's uid/gid options drop all supplementary groups; setpriv keeps them.
    if (daemonUid === 0 && supplementary.length > 0 && setprivPath) {
      args = [`--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, `--groups=${supplementary.join(",")}`, "--", file, ...args];
      file = setprivPath;
    } else {
      ids = { uid: spec.user.uid, gid: spec.user.gid };
    }
  }

  const child = spawn(file, args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: spec.pty ? ["pipe", "pipe", "pipe", "pipe"] : ["pipe", "pipe", "pipe"],
    ...ids,
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  }).catch((err: NodeJS.ErrnoException) => {
    throw spawnError(spec.file, err);
  });
  // Later errors (a failed kill, EPIPE on stdin) must not crash the daemon.
  child.on("error", () => {});
  child.stdin!.on("error", () => {});
  if (!spec.pty) {
    return { child, pid: child.pid as number, stdin: child.stdin!, stdout: child.stdout!, stderr: child.stderr! };
  }
  const control = child.stdio[3] as Socket;
  control.on("error", () => {});
  const pid = await readPid(control, child);
  return { child, pid, stdin: child.stdin!, stdout: child.stdout!, control, diagnostics: child.stderr! };
}

/** The helper writes the program's pid (uint32 LE) first on its control socket. */
function readPid(control: Socket, child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4) return;
      cleanup();
      resolve(got.readUInt32LE(0));
    };
    const onExit = () => {
      cleanup();
      reject(errors.failedPrecondition("the PTY helper could not start the process"));
    };
    const cleanup = () => {
      control.off("data", onData);
      child.off("exit", onExit);
    };
    control.on("data", onData);
    child.once("exit", onExit);
  });
}

function spawnError(cmd: string, err: NodeJS.ErrnoException) {
  switch (err.code) {
    case "ENOENT":
      return errors.notFound(`cannot start ${cmd}: no such file or directory`);
    case "EACCES":
    case "EPERM":
      return errors.permissionDenied(`cannot start ${cmd}: permission denied`);
    case "ENOEXEC":
      return errors.failedPrecondition(`cannot start ${cmd}: not an executable format`);
    default:
      return errors.failedPrecondition(`cannot start ${cmd}: ${err.code ?? "spawn failed"}`);
  }
}
