import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Bytes written to the child's stdin. */
  input?: Buffer | string;
  /** Called with every chunk of stderr (progress of long tools such as debootstrap). */
  onStderr?: (chunk: string) => void;
  onStdout?: (chunk: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split("\n").slice(-15).join("\n");
    super(`${command.join(" ")} failed (${code === null ? "killed" : `exit ${code}`})${tail ? `:\n${tail}` : ""}`);
    this.name = "CommandError";
  }
}

/** Runs a command to completion; rejects with its stderr tail when it fails. */
export function runCommand(command: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = spawn(command[0], command.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      signal: options.signal,
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
    if (options.input !== undefined) child.stdin!.end(options.input);
    child.on("error", reject);
    child.on("close", (code) => {
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandError(command, code, stderr));
    });
  });
}
