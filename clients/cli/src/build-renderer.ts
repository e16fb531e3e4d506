import { BuildStatus, type BuildEvent } from "@wrenn/gen/wrenn/api/v1/template.js";

/** Where the renderer writes: process.stdout in the CLI, a buffer in tests. */
export interface Output {
  write(text: string): void;
  /** A terminal: a status line is redrawn in place; otherwise only plain lines. */
  isTTY: boolean;
  columns?: number;
}

export interface BuildOutcome {
  status: BuildStatus;
  templateId: string;
  templateName: string;
  error: string;
}

const indent = "      ";
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/**
 * Turns a build's events into what a person watching reads: one line a step
 * ("[3/7] RUN npm ci"), its output indented under it, its duration when it
 * ends ("cached" when it did not run), and on a terminal a progress bar kept
 * on the last line. The failing step is repeated at the end with its recipe
 * line, reason and output tail, since its live output may have scrolled away.
 */
export class BuildRenderer {
  private readonly recipeLines: string[];
  private current = 0;
  private done = 0;
  private cached = 0;
  private partial = "";
  private status = "";
  private readonly startedAt: number;
  /** A cached step's instruction, printed with its finished event. */
  private pendingCached: string | undefined;
  private failure: NonNullable<BuildEvent["stepFailed"]> | undefined;
  outcome: BuildOutcome | undefined;

  constructor(
    private readonly out: Output,
    private total: number,
    recipe: string,
    private readonly now: () => number = Date.now,
  ) {
    this.recipeLines = recipe.split(/\r?\n/);
    this.startedAt = now();
  }

  /** Prints a whole line, keeping the status line below everything. */
  private line(text: string): void {
    this.clearStatus();
    this.out.write(`${text}\n`);
    this.drawStatus();
  }

  private clearStatus(): void {
    if (this.out.isTTY && this.status) {
      this.out.write("\r\x1b[K");
      this.status = "";
    }
  }

  private drawStatus(): void {
    if (!this.out.isTTY || this.outcome || this.total === 0) {
      return;
    }
    const width = 24;
    const filled = Math.round((this.done / this.total) * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const text = `${bar} ${this.done}/${this.total} steps · ${seconds(this.now() - this.startedAt)}`;
    this.status = text.slice(0, Math.max(10, (this.out.columns ?? 80) - 1));
    this.out.write(this.status);
  }

  /** Redraws the status line (the elapsed time moves on between events). */
  tick(): void {
    if (this.out.isTTY && !this.outcome) {
      this.clearStatus();
      this.drawStatus();
    }
  }

  private flushPartial(): void {
    if (this.partial) {
      this.line(`${indent}${this.partial}`);
      this.partial = "";
    }
  }

  private prefix(step: number): string {
    return `[${step}/${this.total || "?"}]`;
  }

  handle(event: BuildEvent): void {
    if (event.phase) {
      this.flushPartial();
      const detail = event.phase.detail ? `: ${event.phase.detail}` : "";
      this.line(`  · ${event.phase.phase}${detail}`);
    } else if (event.stepStarted) {
      this.flushPartial();
      const s = event.stepStarted;
      this.current = s.step;
      this.total = Math.max(this.total, s.step);
      if (!s.cached) {
        this.line(`${this.prefix(s.step)} ${s.instruction}`);
      } else {
        // A cached step is reported by its finished event, on one line.
        this.pendingCached = s.instruction;
      }
    } else if (event.stepOutput) {
      const text = this.partial + event.stepOutput.text.replace(/\r\n/g, "\n");
      const lines = text.split("\n");
      this.partial = lines.pop() ?? "";
      for (const l of lines) {
        this.line(`${indent}${l}`);
      }
    } else if (event.stepFinished) {
      this.flushPartial();
      const f = event.stepFinished;
      this.done = Math.max(this.done, f.step);
      if (f.cached) {
        this.cached++;
        this.line(`${this.prefix(f.step)} ${this.pendingCached ?? ""} (cached)`);
        this.pendingCached = undefined;
      } else {
        this.line(`${indent}done in ${seconds(f.durationMs)}`);
      }
    } else if (event.stepFailed) {
      this.flushPartial();
      const f = event.stepFailed;
      this.failure = f;
      this.line(`${indent}failed: ${f.reason}`);
    } else if (event.ended) {
      this.flushPartial();
      const e = event.ended;
      const t = e.template;
      const name = t ? `${t.name}:${t.tag}` : "";
      this.clearStatus();
      this.outcome = { status: e.status, templateId: t?.templateId ?? "", templateName: name, error: e.error };
      this.summary();
    }
  }

  private summary(): void {
    const o = this.outcome!;
    const took = seconds(this.now() - this.startedAt);
    if (o.status === BuildStatus.BUILD_STATUS_SUCCEEDED) {
      this.out.write(`\nBuilt ${o.templateName} (${o.templateId}) in ${took}: ${this.done} steps, ${this.cached} cached\n`);
      return;
    }
    if (o.status === BuildStatus.BUILD_STATUS_CANCELLED) {
      this.out.write(`\nBuild cancelled${o.error ? `: ${o.error}` : ""}\n`);
      return;
    }
    const f = this.failure;
    if (f) {
      const text = this.recipeLines[f.line - 1]?.trim() ?? "";
      this.out.write(`\nBuild failed at step ${f.step}/${this.total}, recipe line ${f.line}: ${text}\n`);
      this.out.write(`  reason: ${f.reason}\n`);
      if (f.outputTail) {
        this.out.write("  output (last lines):\n");
        for (const l of f.outputTail.replace(/\n$/, "").split("\n")) {
          this.out.write(`    ${l}\n`);
        }
      }
    } else {
      this.out.write(`\nBuild failed: ${o.error || "no reason given"}\n`);
    }
  }

  /** The step running now (0 before the first), for an interrupted watch. */
  get step(): number {
    return this.current;
  }
}
