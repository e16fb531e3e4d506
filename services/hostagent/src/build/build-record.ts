import type { BuildEvent, BuildEventBody, BuildStateName } from "./build-events.js";

/**
 * One build's state and event log, kept in memory: the runner appends, any
 * number of watchers read from a seq on and wait for more. A build ends with
 * exactly one "ended" event; nothing is appended after it.
 */
export class BuildRecord {
  state: BuildStateName = "queued";
  endedAt?: Date;
  readonly events: BuildEvent[] = [];
  /** Aborted by CancelBuild (reason "cancelled") or agent stop (reason "shutdown"). */
  readonly controller = new AbortController();
  /** Settles once the runner has unwound everything (success, failure or cancel). */
  done: Promise<void> = Promise.resolve();
  /**
   * Found half-done at agent start: its log here is only the "ended" event,
   * while a watcher may have seen more from the previous run; the ended
   * event is handed to it right after whatever seq it resumes from.
   */
  interrupted = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly buildId: string,
    readonly templateId: string,
  ) {}

  get lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  get ended(): boolean {
    return this.endedAt !== undefined;
  }

  append(body: BuildEventBody): void {
    if (this.ended) return;
    this.events.push({ seq: this.lastSeq + 1, at: new Date(), body });
    if (body.kind === "ended") {
      this.state = body.state;
      this.endedAt = new Date();
    }
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Events after `afterSeq`, then live ones, ending after the "ended" event (or when `signal` aborts). */
  async *watch(afterSeq: number, signal: AbortSignal): AsyncGenerator<BuildEvent> {
    let next = afterSeq;
    const end = this.events.at(-1);
    if (this.interrupted && end !== undefined && afterSeq >= end.seq) {
      yield { ...end, seq: afterSeq + 1 };
      return;
    }
    while (!signal.aborted) {
      // seq n sits at index n-1: resume right after the last one handed out.
      for (const event of this.events.slice(Math.min(next, this.events.length))) {
        next = event.seq;
        yield event;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener("abort", wake);
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
}
