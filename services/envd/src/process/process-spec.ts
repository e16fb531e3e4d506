import type { User } from "../users/user-db.js";
import type { InputWriter } from "./input-writer.js";

export interface PtySize {
  rows: number;
  cols: number;
}

/** A fully validated request to run one command (see prepare-process.ts). */
export interface ProcessSpec {
  /** Absolute path of the executable, resolved before spawning. */
  file: string;
  /** The command as the caller wrote it, for messages and List. */
  cmd: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  user: User;
  tag: string;
  /** Written to stdin first. */
  stdin?: Buffer;
  /** Keep stdin open after `stdin` for later input (always true for a PTY). */
  keepStdinOpen: boolean;
  /** 0 means no limit. */
  timeoutMs: number;
  /** Keeps running when its clients go away. */
  background: boolean;
  /** Run in a pseudo-terminal of this size. */
  pty?: PtySize;
}

/** What a running process reports, in order: start, output…, end (keepalives in between). */
export type ProcessOutput =
  | { type: "start"; pid: number; tag: string }
  | { type: "stdout"; data: Buffer }
  | { type: "stderr"; data: Buffer }
  | { type: "pty"; data: Buffer }
  | { type: "truncated"; droppedBytes: number }
  | { type: "keepalive" }
  | { type: "end"; exitCode: number; exited: boolean; signal: string; error: string; timedOut: boolean };

export type EndOutput = Extract<ProcessOutput, { type: "end" }>;
export type DataOutput = Extract<ProcessOutput, { type: "stdout" | "stderr" | "pty" }>;

// The handle of a started process lives here, not in managed-process.ts, so the
// registry can hold handles without importing the code that makes them.
export interface AttachOptions {
  signal: AbortSignal;
  /** Foreground semantics: the process group is killed when this client leaves before the end. */
  killOnDetach: boolean;
  /** A keepalive is produced after this long without any other event. */
  keepaliveMs?: number;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly tag: string;
  readonly spec: ProcessSpec;
  readonly startedAt: Date;
  /** Clients currently attached. */
  readonly clients: number;
  readonly ptySize: PtySize | undefined;
  readonly input: InputWriter;
  /** start, the output retained since the start (truncated first if some was dropped), live output, end. */
  attach(options: AttachOptions): AsyncGenerator<ProcessOutput>;
  /** Signals the whole process group (no-op once the process exited). */
  signalGroup(signal: NodeJS.Signals): void;
  resize(size: PtySize): void;
  /** Resolves after the end event went out. */
  readonly done: Promise<EndOutput>;
}
