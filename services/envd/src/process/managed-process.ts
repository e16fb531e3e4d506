import type { Logger } from "@wrenn/shared";
import { errors } from "@wrenn/shared";
import { createEventQueue, type EventQueue } from "./event-queue.js";
import { createInputWriter } from "./input-writer.js";
import { createOutputRing } from "./output-ring.js";
import type { AttachOptions, DataOutput, EndOutput, ManagedProcess, ProcessOutput, ProcessSpec } from "./process-spec.js";
import { resizeMessage } from "./pty-helper.js";
import type { ProcessRegistry } from "./registry.js";
import { spawnChild } from "./spawn-child.js";

export interface ProcessRuntime {
  registry: ProcessRegistry;
  logger: Logger;
  ptyHelper?: string;
  /** Output kept per process for clients that attach later. */
  replayBytes: number;
  /** A PTY process with no client for this long is hung up. */
  ptyIdleMs: number;
  /**
   * After the leader exits, its pipes may stay open in background children
   * (`sh -c 'server &'`). Once they have been idle this long, the process ends
   * without waiting for them.
   */
  exitIdleMs?: number;
}

const highWaterBytes = 1024 * 1024;
const lowWaterBytes = 256 * 1024;

/**
 * One process envd started, with any number of attached clients. Each client
 * has its own bounded queue; while any of them is full the pipes are paused,
 * so a slow client slows the program down and nothing it sees is dropped.
 * With no client attached the pipes are never paused and the replay ring
 * keeps the most recent output for whoever attaches next.
 */
export async function startManagedProcess(spec: ProcessSpec, runtime: ProcessRuntime): Promise<ManagedProcess> {
  const spawned = await spawnChild(spec, runtime.ptyHelper);
  const { child, pid } = spawned;
  const log = runtime.logger.child({ pid, tag: spec.tag });
  const exitIdleMs = runtime.exitIdleMs ?? 1_000;
  const startedAt = new Date();
  const ring = createOutputRing<DataOutput>(runtime.replayBytes);
  const subscribers = new Set<EventQueue<ProcessOutput>>();
  const pipes = spawned.stderr ? [spawned.stdout, spawned.stderr] : [spawned.stdout];

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let end: EndOutput | undefined;
  let timedOut = false;
  let openPipes = pipes.length;
  let lastOutputAt = Date.now();
  let pausedClients = 0;
  let ptySize = spec.pty ? { ...spec.pty } : undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let hangupKillTimer: NodeJS.Timeout | undefined;
  let exitIdleCheck: NodeJS.Timeout | undefined;
  let resolveDone!: (e: EndOutput) => void;
  const done = new Promise<EndOutput>((r) => (resolveDone = r));

  const signalGroup = (sig: NodeJS.Signals) => {
    if (exit) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };

  const pauseChange = (delta: number) => {
    pausedClients += delta;
    if (delta > 0 && pausedClients === 1) for (const p of pipes) p.pause();
    if (delta < 0 && pausedClients === 0) for (const p of pipes) p.resume();
  };

  const publish = (item: ProcessOutput, bytes: number) => {
    for (const q of subscribers) q.push(item, bytes);
  };

  const finishIfDone = () => {
    if (!exit || openPipes > 0 || end) return;
    const { code, signal } = exit;
    end = {
      type: "end",
      exitCode: code ?? -1,
      exited: code !== null,
      signal: signal ?? "",
      error: timedOut ? `timed out after ${spec.timeoutMs} ms; process group killed` : "",
      timedOut,
    };
    clearInterval(exitIdleCheck);
    clearTimeout(idleTimer);
    clearTimeout(hangupKillTimer);
    control?.destroy();
    runtime.registry.remove(pid);
    publish(end, 0);
    for (const q of subscribers) q.close();
    resolveDone(end);
  };

  const types = spec.pty ? (["pty"] as const) : (["stdout", "stderr"] as const);
  pipes.forEach((stream, i) => {
    const type = types[i];
    stream.on("data", (data: Buffer) => {
      lastOutputAt = Date.now();
      const item: DataOutput = { type, data };
      ring.push(item, data.length);
      publish(item, data.length);
    });
    stream.on("error", () => {});
    stream.once("close", () => {
      openPipes -= 1;
      finishIfDone();
    });
  });
  spawned.diagnostics?.on("data", (d: Buffer) => log.warn({ helper: d.toString().trim() }, "pty helper"));
  const control = spawned.control;

  child.once("exit", (code, signal) => {
    exit = { code, signal };
    clearTimeout(timeoutTimer);
    log.debug({ code, signal, timedOut }, "process exited");
    exitIdleCheck = setInterval(() => {
      // Paused pipes mean a client is slow, not that the pipes are idle.
      if (pausedClients > 0 || Date.now() - lastOutputAt < exitIdleMs) return;
      for (const p of pipes) p.destroy();
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

  const armIdleTimer = () => {
    if (!spec.pty || end || subscribers.size > 0) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      log.info({ idleMs: runtime.ptyIdleMs }, "PTY idle without clients; hanging up");
      signalGroup("SIGHUP");
      hangupKillTimer = setTimeout(() => signalGroup("SIGKILL"), 1_000);
    }, runtime.ptyIdleMs);
  };

  const input = createInputWriter(spawned.stdin);
  if (spec.stdin) input.write(spec.stdin);
  if (!spec.keepStdinOpen) input.close();

  async function* attach(options: AttachOptions): AsyncGenerator<ProcessOutput> {
    const keepaliveMs = options.keepaliveMs ?? 15_000;
    const queue = createEventQueue<ProcessOutput>({
      highWaterBytes,
      lowWaterBytes,
      onPause: () => pauseChange(1),
      onResume: () => pauseChange(-1),
    });
    // Snapshot and subscription happen in the same tick: nothing falls between them.
    const replay = ring.snapshot();
    const finished = end;
    if (!finished) subscribers.add(queue);
    clearTimeout(idleTimer);
    const onAbort = () => queue.discard();
    options.signal.addEventListener("abort", onAbort, { once: true });
    try {
      yield { type: "start", pid, tag: spec.tag };
      if (replay.droppedBytes > 0) yield { type: "truncated", droppedBytes: replay.droppedBytes };
      for (const item of replay.items) {
        if (options.signal.aborted) return;
        yield item;
      }
      if (finished) {
        yield finished;
        return;
      }
      for (;;) {
        if (options.signal.aborted) return;
        const next = await queue.next(keepaliveMs);
        if (next === "closed") return;
        if (options.signal.aborted) return;
        if (next === "timeout") {
          yield { type: "keepalive" };
          continue;
        }
        yield mergeFollowing(next.item, queue);
      }
    } finally {
      options.signal.removeEventListener("abort", onAbort);
      subscribers.delete(queue);
      queue.discard();
      if (options.killOnDetach && !end) {
        log.info("foreground client went away; killing process group");
        signalGroup("SIGKILL");
      }
      armIdleTimer();
    }
  }

  const managed: ManagedProcess = {
    pid,
    tag: spec.tag,
    spec,
    startedAt,
    input,
    done,
    get clients() {
      return subscribers.size;
    },
    get ptySize() {
      return ptySize ? { ...ptySize } : undefined;
    },
    attach,
    signalGroup,
    resize(size) {
      if (!control || !ptySize) throw errors.failedPrecondition(`process ${pid} does not run in a PTY`);
      if (end) return;
      control.write(resizeMessage(size.rows, size.cols));
      ptySize = { ...size };
    },
  };
  runtime.registry.add(managed);
  armIdleTimer();
  log.debug({ cmd: spec.cmd, user: spec.user.name, background: spec.background, pty: !!spec.pty }, "process started");
  return managed;
}

/** Fewer, larger messages when the client is behind: same-stream chunks already queued join this one. */
const mergeBytes = 256 * 1024;

function mergeFollowing(item: ProcessOutput, queue: EventQueue<ProcessOutput>): ProcessOutput {
  if (item.type !== "stdout" && item.type !== "stderr" && item.type !== "pty") return item;
  if (item.data.length >= mergeBytes) return item;
  const more = queue.takeWhile((o) => o.type === item.type, mergeBytes - item.data.length) as DataOutput[];
  if (more.length === 0) return item;
  return { type: item.type, data: Buffer.concat([item.data, ...more.map((m) => m.data)]) };
}
