import { spawn, type ChildProcess } from "node:child_process";
import type { Logger } from "@wrenn/shared";
import type { SandboxExit } from "../runtime.js";
import type { BwrapCommand } from "./bwrap-args.js";

/**
 * One running bwrap and what we know about it: its host pid, the host pid of
 * the sandbox's PID 1 (from --info-fd), a promise for its exit, and the tail
 * of its output for diagnostics.
 */
export interface SandboxProcess {
  readonly pid: number;
  readonly exited: Promise<SandboxExit>;
  readonly hasExited: () => boolean;
  /** Kills the whole sandbox and resolves once every process in it is gone. */
  kill(): Promise<SandboxExit>;
}

const tailBytes = 8192;

/** Exit status 125 tells "could not join a cgroup" apart from bwrap's own failures. */
const joinCgroupsThenExec = 'for g in $WRENN_CGROUPS; do echo $$ > "$g/cgroup.procs" || exit 125; done; exec bwrap "$@"';

export function spawnSandboxProcess(
  sandboxId: string,
  args: BwrapCommand,
  logger: Logger,
  cgroupPaths: string[] = [],
  /** Command prefix that places bwrap in the sandbox's network namespace, e.g. netnsWrap(path); it must exec, not fork. */
  wrap: string[] = [],
): SandboxProcess {
  // fd 3 is bwrap's --info-fd: it writes {"child-pid": N} once the sandbox init runs.
  // fd 4 carries the NUL-separated arguments that must not show in /proc/*/cmdline.
  const bwrapArgv = ["--info-fd", "3", ...args.visible, "--args", "4", "--", ...args.command];
  const stdio: Array<"ignore" | "pipe"> = ["ignore", "pipe", "pipe", "pipe", "pipe"];
  const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", WRENN_CGROUPS: cgroupPaths.join(" ") };
  // With cgroups, a shell joins them first and then execs bwrap, so every
  // process of the sandbox is born inside its groups (no fork race).
  const argv = cgroupPaths.length > 0 ? ["/bin/sh", "-c", joinCgroupsThenExec, "bwrap", ...bwrapArgv] : ["bwrap", ...bwrapArgv];
  const full = [...wrap, ...argv];
  const child: ChildProcess = spawn(full[0]!, full.slice(1), { stdio, env });
  const argsStream = child.stdio[4] as NodeJS.WritableStream | null;
  argsStream?.on("error", () => {}); // bwrap gone before reading: its exit is reported below
  argsStream?.end(args.hidden.map((arg) => `${arg}\0`).join(""));
  let tail = "";
  let innerPid: number | undefined;
  let done = false;
  const remember = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-tailBytes);
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() !== "") logger.debug({ sandboxId, line }, "sandbox output");
    }
  };
  child.stdout?.on("data", remember);
  child.stderr?.on("data", remember);
  let info = "";
  const infoStream = child.stdio[3];
  infoStream?.on("data", (chunk: Buffer) => {
    info += chunk.toString("utf8");
    const match = /"child-pid"\s*:\s*(\d+)/.exec(info);
    if (match) innerPid = Number(match[1]);
  });
  infoStream?.on("error", () => {});

  const exited = new Promise<SandboxExit>((resolve) => {
    const finish = (code: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      resolve({ sandboxId, code, signal, outputTail: tail });
    };
    child.once("error", (err) => {
      tail += `\nspawn failed: ${err.message}`;
      finish(null, null);
    });
    // "close" waits for the pipes too, so the tail is complete.
    child.once("close", (code, signal) => finish(code, signal));
  });

  return {
    pid: child.pid ?? -1,
    exited,
    hasExited: () => done,
    async kill() {
      if (!done) {
        // Killing the sandbox's PID 1 makes the kernel kill everything in its
        // pid namespace; bwrap exits once its init is reaped, which happens
        // only after every process of the namespace is gone.
        if (innerPid !== undefined) signalQuietly(innerPid, "SIGKILL");
        if (child.pid !== undefined) signalQuietly(child.pid, "SIGKILL");
      }
      return exited;
    },
  };
}

/** Runs the sandbox in a prepared network namespace; nsenter execs, so the pid stays bwrap's. */
export function netnsWrap(netnsPath: string): string[] {
  return ["nsenter", `--net=${netnsPath}`, "--"];
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
