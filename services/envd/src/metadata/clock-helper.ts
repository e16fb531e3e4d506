import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Logger } from "@wrenn/shared";

/** A request the helper has not answered by then is given up on, and so is the helper. */
const answerTimeoutMs = 2_000;
/** MAX_SEED_BYTES in native/wrenn-clock.c. */
export const maxSeedBytes = 512;

/** How the helper fed the host's entropy to the kernel (see native/wrenn-clock.c). */
export type SeedOutcome = "reseeded" | "credited" | "mixed";

export interface ClockHelper {
  readonly alive: boolean;
  readonly pid: number | undefined;
  /** Sets CLOCK_REALTIME to `targetMs` (Unix ms); rejects with the helper's errno. */
  set(targetMs: number): Promise<void>;
  /** Credits `entropy` (1 to 512 bytes) to the kernel pool and reseeds its CRNG; rejects with the helper's errno. */
  seed(entropy: Uint8Array): Promise<SeedOutcome>;
  close(): void;
}

interface Pending {
  resolve(detail: string): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Runs native/wrenn-clock for the life of envd: one line per request on its
 * stdin, one answer per request on its stdout, an errno then an optional
 * word (see the C file for why).
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
      const [errno, detail = ""] = buffered.slice(0, newline).split(" ");
      buffered = buffered.slice(newline + 1);
      const p = pending.shift();
      if (!p) continue;
      clearTimeout(p.timer);
      if (Number(errno) === 0) p.resolve(detail);
      else p.reject(new Error(errnoName(Number(errno))));
    }
  });

  function request(line: string): Promise<string> {
    if (!alive) return Promise.reject(new Error("clock helper is not running"));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => fail(`did not answer within ${answerTimeoutMs} ms`), answerTimeoutMs);
      pending.push({ resolve, reject, timer });
      child.stdin.write(line);
    });
  }

  return {
    get alive() {
      return alive;
    },
    pid: child.pid,
    async set(targetMs) {
      const seconds = Math.floor(targetMs / 1000);
      const nanoseconds = Math.min(999_999_999, Math.round((targetMs - seconds * 1000) * 1e6));
      await request(`${seconds} ${nanoseconds}\n`);
    },
    async seed(entropy) {
      if (entropy.length < 1 || entropy.length > maxSeedBytes) throw new Error(`a seed is 1 to ${maxSeedBytes} bytes`);
      const detail = await request(`seed ${Buffer.from(entropy).toString("hex")}\n`);
      if (detail === "reseeded" || detail === "credited" || detail === "mixed") return detail;
      throw new Error(`clock helper answered "${detail}" to a seed`);
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
