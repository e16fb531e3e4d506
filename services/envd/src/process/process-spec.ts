import type { User } from "../users/user-db.js";

/** A fully validated request to run one command (see prepare-process.ts). */
export interface ProcessSpec {
  /** Absolute path of the executable, resolved before spawning. */
  file: string;
  /** The command as the caller wrote it, for messages. */
  cmd: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  user: User;
  tag: string;
  /** Written to stdin, which is then closed; stdin is closed at once without it. */
  stdin?: Buffer;
  /** 0 means no limit. */
  timeoutMs: number;
}

/** What a running process reports, in order: start, output…, end (keepalives in between). */
export type ProcessOutput =
  | { type: "start"; pid: number; tag: string }
  | { type: "stdout"; data: Buffer }
  | { type: "stderr"; data: Buffer }
  | { type: "keepalive" }
  | { type: "end"; exitCode: number; exited: boolean; signal: string; error: string; timedOut: boolean };
