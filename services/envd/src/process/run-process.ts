import type { Logger } from "@wrenn/shared";
import { createEventQueue } from "./event-queue.js";
import type { ProcessOutput, ProcessSpec } from "./process-spec.js";
import type { ProcessRegistry } from "./registry.js";
import { spawnChild } from "./spawn-child.js";

export interface RunOptions {
  registry: ProcessRegistry;
  logger: Logger;
  /** Aborted when the caller goes away: the process group is then killed (foreground semantics). */
  signal: AbortSignal;
  /** A keepalive is produced after this long without any other event. */
  keepaliveMs?: number;
  /**
   * After the leader exits, its pipes may stay open in background children
   * (`sh -c 'server &'`). Once they have been idle this long, the call ends
   * without waiting for them.
   */
  exitIdleMs?: number;
}

/**
 * Runs one command and yields its events. Output is read only as fast as the
 * consumer takes it (bounded queue that pauses the pipes), so a 200 MB stream
 * costs about a megabyte of memory and nothing is ever dropped.
 */
export async function* runProcess(spec: ProcessSpec, options: RunOptions): AsyncGenerator<ProcessOutput> {
  const keepaliveMs = options.keepaliveMs ?? 15_000;
  const exitIdleMs = options.exitIdleMs ?? 1_000;
  const child = await spawnChild(spec);
  const pid = child.pid as number;
  const log = options.logger.child({ pid, tag: spec.tag });

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let timedOut = false;
  let openPipes = 2;
  let lastOutputAt = Date.now();

  const signalGroup = (sig: NodeJS.Signals) => {
    if (exit) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };

  const queue = createEventQueue<ProcessOutput>({
    highWaterBytes: 1024 * 1024,
    lowWaterBytes: 256 * 1024,
    onPause: () => {
      child.stdout.pause();
      child.stderr.pause();
    },
    onResume: () => {
      child.stdout.resume();
      child.stderr.resume();
    },
  });

  const finishIfDone = () => {
    if (!exit || openPipes > 0) return;
    clearInterval(idleCheck);
    const { code, signal } = exit;
    queue.push(
      {
        type: "end",
        exitCode: code ?? -1,
        exited: code !== null,
        signal: signal ?? "",
        error: timedOut ? `timed out after ${spec.timeoutMs} ms; process group killed` : "",
        timedOut,
      },
      0,
    );
    queue.close();
  };

  for (const [stream, type] of [
    [child.stdout, "stdout"],
    [child.stderr, "stderr"],
  ] as const) {
    stream.on("data", (data: Buffer) => {
      lastOutputAt = Date.now();
      queue.push({ type, data }, data.length);
    });
    stream.on("error", () => {});
    stream.once("close", () => {
      openPipes -= 1;
      finishIfDone();
    });
  }

  let idleCheck: NodeJS.Timeout | undefined;
  child.once("exit", (code, signal) => {
    exit = { code, signal };
    options.registry.remove(pid);
    clearTimeout(timeoutTimer);
    log.debug({ code, signal, timedOut }, "process exited");
    idleCheck = setInterval(() => {
      // A paused queue means the consumer is slow, not that the pipes are idle.
      if (queue.paused || Date.now() - lastOutputAt < exitIdleMs) return;
      child.stdout.destroy();
      child.stderr.destroy();
    }, exitIdleMs);
    finishIfDone();
  });

  const timeoutTimer =
    spec.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          log.info({ timeoutMs: spec.timeoutMs }, "process timed out; killing its group");
          signalGroup("SIGKILL");
        }, spec.timeoutMs)
      : undefined;

  const onAbort = () => {
    log.info("caller cancelled; killing process group");
    signalGroup("SIGKILL");
  };
  options.signal.addEventListener("abort", onAbort, { once: true });

  options.registry.add({ pid, tag: spec.tag, cmd: spec.cmd, startedAt: new Date(), signalGroup });
  child.stdin.end(spec.stdin ?? undefined);
  log.debug({ cmd: spec.cmd, user: spec.user.name }, "process started");

  try {
    yield { type: "start", pid, tag: spec.tag };
    for (;;) {
      if (options.signal.aborted) return;
      const next = await queue.next(keepaliveMs);
      if (next === "closed") return;
      yield next === "timeout" ? { type: "keepalive" } : next.item;
    }
  } finally {
    options.signal.removeEventListener("abort", onAbort);
    clearTimeout(timeoutTimer);
    if (!exit) signalGroup("SIGKILL");
    // Let the pipes go so a consumer that left early leaves nothing behind.
    child.stdout.destroy();
    child.stderr.destroy();
    if (exit) clearInterval(idleCheck);
    else child.once("exit", () => clearInterval(idleCheck));
  }
}
