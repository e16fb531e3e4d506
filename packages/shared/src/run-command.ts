import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Kills the child when aborted; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Bytes written to the child's stdin (without it, stdin is /dev/null). */
  input?: Buffer | string;
  /** Called with every chunk of stdout / stderr as it comes (progress of long tools such as debootstrap). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Longest command text a message quotes: a script passed as `sh -c …` would otherwise fill the log. */
const maxCommandChars = 200;
const stderrTailLines = 15;
const maxStderrTailChars = 2000;

/** A command that could not start, exited non-zero, or was killed by a signal. */
export class CommandError extends Error {
  constructor(
    readonly command: readonly string[],
    /** Exit code; null when a signal ended it or it never started. */
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    /** Everything it wrote to stderr (callers match expected failures in it, e.g. "No such file or directory"). */
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    const text = command.join(" ");
    const shown = text.length > maxCommandChars ? `${text.slice(0, maxCommandChars)}…` : text;
    const how = options?.cause instanceof Error ? options.cause.message : code !== null ? `exit ${code}` : `killed by ${signal ?? "a signal"}`;
    const tail = stderr.trim().split("\n").slice(-stderrTailLines).join("\n").slice(-maxStderrTailChars);
    super(`${shown} failed (${how})${tail ? `:\n${tail}` : ""}`, options);
    this.name = "CommandError";
  }
}

/** How long an aborted command has after SIGTERM before SIGKILL. */
const abortKillAfterMs = 5000;

/** Runs a command to completion and collects its output; rejects with a CommandError unless it exits 0. */
export function runCommand(command: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    signal?.throwIfAborted();
    const child = spawn(command[0]!, command.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      signal,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => {
      out.push(chunk);
      options.onStdout?.(chunk.toString());
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      err.push(chunk);
      options.onStderr?.(chunk.toString());
    });
    if (child.stdin) {
      // A child that exits without reading its input makes the write fail (EPIPE); its exit status says what happened.
      child.stdin.on("error", () => {});
      child.stdin.end(options.input);
    }
    let failed = false;
    child.once("error", (cause) => {
      failed = true;
      if (!signal?.aborted) return reject(new CommandError(command, null, null, "", { cause }));
      // Aborted: node has sent SIGTERM; settle once the child is gone, so a caller
      // that cleans up after the rejection (removing the files it writes) never
      // races a command still running. One that ignores SIGTERM is killed.
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return reject(signal.reason);
      const kill = setTimeout(() => child.kill("SIGKILL"), abortKillAfterMs);
      child.once("close", () => {
        clearTimeout(kill);
        reject(signal.reason);
      });
    });
    child.once("close", (code, exitSignal) => {
      if (failed) return;
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandError(command, code, exitSignal, stderr));
    });
  });
}
