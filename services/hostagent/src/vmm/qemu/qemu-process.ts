import { spawn, type ChildProcess } from "node:child_process";

/**
 * Spawning and supervising the QEMU process itself. Every live QEMU is
 * tracked so that, whatever happens to this Node process, none is left
 * running: `setpriv --pdeathsig KILL` makes the kernel kill QEMU if we die,
 * and an exit hook kills the ones still tracked on a normal exit.
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
  /** Kill QEMU when this process dies (default). Turn off only if a restarted agent rediscovers VMs by pid file. */
  dieWithParent: boolean;
}

const tailBytes = 8192;

export function spawnQemu(options: SpawnQemuOptions): QemuProcess {
  installExitHook();
  const command = [
    ...(options.dieWithParent ? ["setpriv", "--pdeathsig", "KILL", "--"] : []),
    ...(options.wrap ?? []),
    options.binary,
    ...options.args,
  ];
  const child = spawn(command[0], command.slice(1), { cwd: options.cwd, stdio: ["ignore", "ignore", "pipe"] });
  let tail = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-tailBytes);
  });
  live.add(child);
  let running = true;
  const exited = new Promise<QemuExit>((resolve) => {
    child.on("error", (err) => {
      tail += `\nspawn failed: ${err.message}`;
    });
    child.on("close", (code, signal) => {
      running = false;
      live.delete(child);
      resolve({ code, signal, stderrTail: tail.trim() });
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
  };
}
