import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdConnection } from "../envd/envd-connection.js";

export interface GuestCommand {
  cmd: string;
  args: string[];
  user: string;
  cwd?: string;
  envs?: Record<string, string>;
  stdin?: Buffer;
  /** envd kills the process group past it; 0 = no limit. */
  timeoutMs: number;
  onOutput?: (stream: "stdout" | "stderr", bytes: Uint8Array) => void;
}

export interface GuestExit {
  exitCode: number;
  /** Why it did not exit by itself ("killed by SIGKILL", "timed out", envd's error), "" when it did. */
  problem: string;
}

/**
 * Runs one command in the build sandbox through envd and waits for its end.
 * Aborting `signal` cancels the call, and envd kills a foreground process
 * whose caller went away.
 */
export async function runInGuest(envd: EnvdConnection, command: GuestCommand, signal: AbortSignal): Promise<GuestExit> {
  const processes = envd.client(ProcessServiceDefinition);
  const stream = processes.start(
    {
      process: { cmd: command.cmd, args: command.args, envs: command.envs ?? {}, cwd: command.cwd, user: command.user },
      stdin: command.stdin,
      timeoutMs: command.timeoutMs,
      background: false,
      keepStdinOpen: false,
    },
    { signal },
  );
  for await (const { event } of stream) {
    if (event?.data?.stdout) command.onOutput?.("stdout", event.data.stdout);
    if (event?.data?.stderr) command.onOutput?.("stderr", event.data.stderr);
    if (event?.end) {
      const end = event.end;
      const problem = end.timedOut ? "timed out" : end.error !== "" ? end.error : !end.exited ? `killed by ${end.signal || "a signal"}` : "";
      return { exitCode: end.exitCode, problem };
    }
  }
  signal.throwIfAborted();
  throw new Error("envd ended the process stream without an end event");
}

/** Starts a background process and returns once envd reports it started (its pid). */
export async function startInGuest(envd: EnvdConnection, command: GuestCommand & { tag: string }, signal: AbortSignal): Promise<number> {
  const processes = envd.client(ProcessServiceDefinition);
  const detach = new AbortController();
  const stream = processes.start(
    {
      process: { cmd: command.cmd, args: command.args, envs: command.envs ?? {}, cwd: command.cwd, user: command.user },
      tag: command.tag,
      timeoutMs: 0,
      background: true,
      keepStdinOpen: false,
    },
    { signal: AbortSignal.any([signal, detach.signal]) },
  );
  try {
    for await (const { event } of stream) {
      if (event?.start) return event.start.pid;
      if (event?.end) throw new Error(event.end.error || `exited at once with code ${event.end.exitCode}`);
    }
  } catch (err) {
    signal.throwIfAborted();
    throw err;
  } finally {
    // A background process outlives its caller: leaving the stream detaches us only.
    detach.abort();
  }
  throw new Error("envd ended the process stream before the process started");
}
