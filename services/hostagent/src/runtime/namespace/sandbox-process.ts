import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import type { Logger } from "@wrenn/shared";
import { readFileTail } from "../../host/file-tail.js";
import { identify, killAndWait, signalQuietly, watchExit, type ProcessIdentity } from "../../host/host-process.js";
import type { SandboxExit } from "../runtime.js";
import type { BwrapCommand } from "./bwrap-args.js";

/**
 * One running bwrap and what we know about it: its host pid, the host pid of
 * the sandbox's PID 1 (from --info-fd), a promise for its exit, and the tail
 * of its output for diagnostics.
 *
 * A sandbox outlives the agent (a restarted agent re-adopts it): bwrap runs
 * in a session of its own (a Ctrl-C on the agent's terminal never reaches
 * it), without --die-with-parent, and its output goes to a file in the
 * sandbox directory instead of pipes that would break when the agent goes.
 */
export interface SandboxProcess {
  readonly pid: number;
  readonly exited: Promise<SandboxExit>;
  readonly hasExited: () => boolean;
  /** Host pid of the sandbox's PID 1 (bwrap's init), once bwrap reported it. */
  innerPid(): number | undefined;
  /** Kills the whole sandbox and resolves once every process in it is gone. */
  kill(): Promise<SandboxExit>;
  /** Stops watching (agent shutdown that keeps the sandbox running). */
  detach(): void;
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
  /** The sandbox's stdout and stderr (appended). */
  outputFile?: string,
): SandboxProcess {
  // fd 3 is bwrap's --info-fd: it writes {"child-pid": N} once the sandbox init runs.
  // fd 4 carries the NUL-separated arguments that must not show in /proc/*/cmdline.
  const bwrapArgv = ["--info-fd", "3", ...args.visible, "--args", "4", "--", ...args.command];
  const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", WRENN_CGROUPS: cgroupPaths.join(" ") };
  // With cgroups, a shell joins them first and then execs bwrap, so every
  // process of the sandbox is born inside its groups (no fork race).
  const argv = cgroupPaths.length > 0 ? ["/bin/sh", "-c", joinCgroupsThenExec, "bwrap", ...bwrapArgv] : ["bwrap", ...bwrapArgv];
  const full = [...wrap, ...argv];
  const outFd = outputFile ? openSync(outputFile, "a", 0o600) : undefined;
  let child: ChildProcess;
  try {
    const out = outFd ?? "pipe";
    child = spawn(full[0]!, full.slice(1), { stdio: ["ignore", out, out, "pipe", "pipe"], env, detached: true });
  } finally {
    if (outFd !== undefined) closeSync(outFd);
  }
  const argsStream = child.stdio[4] as NodeJS.WritableStream | null;
  argsStream?.on("error", () => {}); // bwrap gone before reading: its exit is reported below
  argsStream?.end(args.hidden.map((arg) => `${arg}\0`).join(""));
  let tail = "";
  let innerPid: number | undefined;
  // Without --die-with-parent the sandbox's init outlives a bwrap killed from outside: kill it by identity.
  let innerIdentity: Promise<ProcessIdentity | undefined> | undefined;
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
    if (match && innerPid === undefined) {
      innerPid = Number(match[1]);
      innerIdentity = identify(innerPid);
    }
  });
  infoStream?.on("error", () => {});

  const exited = new Promise<SandboxExit>((resolve) => {
    const finish = async (code: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      const outputTail = outputFile ? await readFileTail(outputFile) : tail;
      resolve({ sandboxId, code, signal, outputTail });
    };
    child.once("error", (err) => {
      tail += `\nspawn failed: ${err.message}`;
      void finish(null, null);
    });
    // "close" waits for the pipes too, so the tail is complete.
    child.once("close", (code, signal) => void finish(code, signal));
  });

  return {
    pid: child.pid ?? -1,
    exited,
    hasExited: () => done,
    innerPid: () => innerPid,
    async kill() {
      // Killing the sandbox's PID 1 makes the kernel kill everything in its
      // pid namespace; bwrap exits once its init is reaped, which happens
      // only after every process of the namespace is gone.
      const init = await innerIdentity;
      if (init) await killAndWait(init).catch(() => {});
      if (!done && child.pid !== undefined) signalQuietly(child.pid, "SIGKILL");
      return exited;
    },
    detach() {
      child.removeAllListeners("close");
      child.removeAllListeners("error");
    },
  };
}

/** A sandbox an earlier run of the agent started: watched through /proc, killed by pid. */
export function adoptSandboxProcess(sandboxId: string, bwrap: ProcessIdentity, init: ProcessIdentity | undefined, outputFile: string): SandboxProcess {
  const stop = new AbortController();
  let done = false;
  const exited = watchExit(bwrap, stop.signal).then(async () => {
    // Detached at shutdown: the sandbox lives on, nobody is told it exited.
    if (stop.signal.aborted) return new Promise<never>(() => {});
    done = true;
    return { sandboxId, code: null, signal: null, outputTail: await readFileTail(outputFile) };
  });
  return {
    pid: bwrap.pid,
    exited,
    hasExited: () => done,
    innerPid: () => init?.pid,
    async kill() {
      if (init) await killAndWait(init).catch(() => {});
      await killAndWait(bwrap).catch(() => {});
      return exited;
    },
    detach: () => stop.abort(),
  };
}

/** Runs the sandbox in a prepared network namespace; nsenter execs, so the pid stays bwrap's. */
export function netnsWrap(netnsPath: string): string[] {
  return ["nsenter", `--net=${netnsPath}`, "--"];
}
