import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFileTail } from "../../host/file-tail.js";
import { killAndWait, signalQuietly, watchExit, type ProcessIdentity } from "../../host/host-process.js";

/**
 * Spawning and supervising the QEMU process itself.
 *
 * Sandbox VMs outlive the agent (a restarted agent re-adopts them): no
 * parent-death signal, their own session (a Ctrl-C on the agent's terminal
 * never reaches them), and stderr into a file in the VM's directory rather
 * than a pipe that would break when the agent goes.
 *
 * Short-lived VMs (template builds) are the opposite: `setpriv --pdeathsig
 * KILL` makes the kernel kill them if we die, and an exit hook kills the
 * ones still tracked on a normal exit.
 */
export interface QemuExit {
  code: number | null;
  signal: string | null;
  /** Last stderr lines of QEMU (for logs and error messages). */
  stderrTail: string;
}

export interface QemuProcess {
  readonly pid: number;
  readonly exited: Promise<QemuExit>;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): void;
  stderrTail(): string;
  /** Stops watching (agent shutdown that keeps the VM running). */
  detach(): void;
}

const live = new Set<ChildProcess>();
let hookInstalled = false;

function installExitHook() {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export interface SpawnQemuOptions {
  binary: string;
  args: string[];
  cwd: string;
  /** Command prefix, e.g. ["ip", "netns", "exec", "sb-…"]; it must exec QEMU (same pid). */
  wrap?: string[];
  /** Kill QEMU when this process dies (template builds). Without it QEMU outlives the agent. */
  dieWithParent: boolean;
  /** Where stderr goes when the VM outlives the agent (appended). */
  stderrFile?: string;
}

const tailBytes = 8192;

/**
 * Runs the rest of the command under umask 077, through an exec (same pid).
 * Every file QEMU makes is then its owner's only: the serial log, a memory
 * file (a template's RAM, which may be a sandbox's), and a snapshot's state
 * written by the migration's `exec:` shell (guest RAM, env values in clear).
 */
const ownerOnlyFiles = ["sh", "-c", 'umask 077 && exec "$@"', "sh"];

export function spawnQemu(options: SpawnQemuOptions): QemuProcess {
  installExitHook();
  const persistent = !options.dieWithParent;
  const command = [
    ...ownerOnlyFiles,
    ...(persistent ? [] : ["setpriv", "--pdeathsig", "KILL", "--"]),
    ...(options.wrap ?? []),
    options.binary,
    ...options.args,
  ];
  const logFd = persistent && options.stderrFile ? openSync(options.stderrFile, "a", 0o600) : undefined;
  let child: ChildProcess;
  try {
    child = spawn(command[0], command.slice(1), {
      cwd: options.cwd,
      stdio: ["ignore", "ignore", logFd ?? "pipe"],
      detached: persistent,
    });
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
  let tail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-tailBytes);
  });
  if (!persistent) live.add(child);
  else child.unref();
  let running = true;
  const exited = new Promise<QemuExit>((resolve) => {
    child.on("error", (err) => {
      tail += `\nspawn failed: ${err.message}`;
    });
    child.on("close", (code, signal) => {
      running = false;
      live.delete(child);
      void (async () => {
        const fileTail = options.stderrFile && persistent ? await readFileTail(options.stderrFile) : "";
        resolve({ code, signal, stderrTail: (fileTail || tail).trim() });
      })();
    });
  });
  if (child.pid === undefined) running = false;
  return {
    pid: child.pid ?? -1,
    exited,
    alive: () => running,
    kill(signal = "SIGKILL") {
      if (running) child.kill(signal);
    },
    stderrTail: () => tail.trim(),
    detach() {
      child.removeAllListeners("close");
    },
  };
}

/** A QEMU started by an earlier run of the agent: watched through /proc, killed by pid. */
export function adoptQemuProcess(identity: ProcessIdentity, stderrFile: string): QemuProcess {
  const stop = new AbortController();
  let running = true;
  const exited = watchExit(identity, stop.signal).then(async () => {
    // Detached at shutdown: the VM lives on, nobody is told it exited.
    if (stop.signal.aborted) return new Promise<never>(() => {});
    running = false;
    return { code: null, signal: null, stderrTail: (await readFileTail(stderrFile)).trim() };
  });
  return {
    pid: identity.pid,
    exited,
    alive: () => running,
    kill(signal = "SIGKILL") {
      if (!running) return;
      if (signal === "SIGKILL") void killAndWait(identity).catch(() => {});
      else signalQuietly(identity.pid, signal);
    },
    stderrTail: () => "",
    detach: () => stop.abort(),
  };
}
