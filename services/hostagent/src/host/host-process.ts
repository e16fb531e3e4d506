import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Processes the agent did not start itself in this run (sandboxes re-adopted
 * after a restart): they are not our children, so there is no exit event.
 * A pid is only trusted together with its start time (field 22 of
 * /proc/PID/stat) and a command line that names the sandbox: pids are reused.
 */
export interface ProcessIdentity {
  pid: number;
  /** Clock ticks since boot at which the process started. */
  startTime: number;
}

export async function startTimeOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): a zombie has exited already.
  if (fields[0] === "Z") return undefined;
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : undefined;
}

export async function cmdlineOf(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
}

/** The recorded process is still the same one and its command line passes `names`. */
export async function isSameProcess(identity: ProcessIdentity, names: (args: string[]) => boolean): Promise<boolean> {
  if (!Number.isInteger(identity.pid) || identity.pid <= 1) return false;
  const start = await startTimeOf(identity.pid);
  if (start === undefined || start !== identity.startTime) return false;
  return names(await cmdlineOf(identity.pid));
}

export async function identify(pid: number): Promise<ProcessIdentity | undefined> {
  const startTime = await startTimeOf(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}

/**
 * Resolves once the process is gone (or became another process). Polls
 * /proc: Node has no pidfd; a second is the delay before a death is noticed.
 */
export function watchExit(identity: ProcessIdentity, signal: AbortSignal, intervalMs = 500): Promise<void> {
  return (async () => {
    while (!signal.aborted) {
      if ((await startTimeOf(identity.pid)) !== identity.startTime) return;
      await sleep(intervalMs, undefined, { signal }).catch(() => {});
    }
  })();
}

export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs the process and waits (up to `timeoutMs`) until it is gone. */
export async function killAndWait(identity: ProcessIdentity, timeoutMs = 5000): Promise<void> {
  signalQuietly(identity.pid, "SIGKILL");
  const deadline = Date.now() + timeoutMs;
  while ((await startTimeOf(identity.pid)) === identity.startTime) {
    if (Date.now() > deadline) throw new Error(`process ${identity.pid} did not exit after SIGKILL`);
    await sleep(20);
  }
}
