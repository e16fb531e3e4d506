import type { User } from "../users/user-db.js";

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
