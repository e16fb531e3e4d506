import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Logger } from "@wrenn/shared";

/** A request the helper has not answered by then is given up on, and so is the helper. */
const answerTimeoutMs = 2_000;

export interface ClockHelper {
  readonly alive: boolean;
  readonly pid: number | undefined;
  /** Sets CLOCK_REALTIME to `targetMs` (Unix ms); rejects with the helper's errno. */
  set(targetMs: number): Promise<void>;
  close(): void;
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Runs native/wrenn-clock for the life of envd: one line per request on its
 * stdin, one errno per answer on its stdout (see the C file for why).
 */
export function startClockHelper(path: string, logger: Logger): ClockHelper {
  const child = spawn(path, [], { stdio: ["pipe", "pipe", "inherit"] });
  let alive = true;
  let buffered = "";
  const pending: Pending[] = [];

  function fail(reason: string): void {
    if (!alive) return;
    alive = false;
    logger.warn({ path, reason }, "clock helper unavailable; falling back to date");
    for (const p of pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new Error(`clock helper ${reason}`));
    }
    child.kill("SIGKILL");
  }

  child.on("error", (err) => fail(`failed: ${err.message}`));
  child.on("exit", (code, signal) => fail(`exited (${signal ?? code})`));
  child.stdin.on("error", (err) => fail(`stdin: ${err.message}`));
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const answer = Number(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      const p = pending.shift();
      if (!p) continue;
      clearTimeout(p.timer);
      if (answer === 0) p.resolve();
      else p.reject(new Error(errnoName(answer)));
    }
  });

  return {
    get alive() {
      return alive;
    },
    pid: child.pid,
    set(targetMs) {
      if (!alive) return Promise.reject(new Error("clock helper is not running"));
      const seconds = Math.floor(targetMs / 1000);
      const nanoseconds = Math.min(999_999_999, Math.round((targetMs - seconds * 1000) * 1e6));
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => fail(`did not answer within ${answerTimeoutMs} ms`), answerTimeoutMs);
        pending.push({ resolve, reject, timer });
        child.stdin.write(`${seconds} ${nanoseconds}\n`);
      });
    },
    close() {
      if (!alive) return;
      alive = false;
      child.stdin.end();
      child.kill("SIGTERM");
    },
  };
}

function errnoName(errno: number): string {
  const name = Object.entries(constants.errno).find(([, value]) => value === errno)?.[0];
  return name ? `${name} (errno ${errno})` : `errno ${errno}`;
}
