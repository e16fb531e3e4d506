import { describe, expect, it } from "vitest";
import { BuildStatus, type BuildEvent } from "@wrenn/gen/wrenn/api/v1/template.js";
import { BuildRenderer } from "../src/build-renderer.js";

const recipe = ["FROM base", "RUN apt-get update", "WORKDIR /app", "RUN make test"].join("\n");

function sink(isTTY: boolean) {
  let text = "";
  return { out: { write: (t: string) => void (text += t), isTTY, columns: 80 }, text: () => text };
}

let seq = 0;
const ev = (e: Omit<BuildEvent, "seq" | "at">): BuildEvent => ({ seq: ++seq, at: undefined, ...e });

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("BuildRenderer", () => {
  it("prints steps with counters, cached markers, indented output and durations; success names the template", () => {
    const s = sink(false);
    const c = clock();
    const r = new BuildRenderer(s.out, 3, recipe, c.now);
    r.handle(ev({ phase: { phase: "preparing base", detail: "base-2x1024" } }));
    r.handle(ev({ stepStarted: { step: 1, line: 2, instruction: "RUN apt-get update", cached: true } }));
    r.handle(ev({ stepFinished: { step: 1, durationMs: 0, cached: true } }));
    r.handle(ev({ stepStarted: { step: 2, line: 3, instruction: "WORKDIR /app", cached: false } }));
    r.handle(ev({ stepFinished: { step: 2, durationMs: 40, cached: false } }));
    r.handle(ev({ stepStarted: { step: 3, line: 4, instruction: "RUN make test", cached: false } }));
    r.handle(ev({ stepOutput: { step: 3, stream: "stdout", text: "compil" } }));
    r.handle(ev({ stepOutput: { step: 3, stream: "stdout", text: "ing\nok 1\r\nok" } }));
    r.handle(ev({ stepOutput: { step: 3, stream: "stderr", text: " 2\n" } }));
    c.advance(12_345);
    r.handle(ev({ stepFinished: { step: 3, durationMs: 12_300, cached: false } }));
    r.handle(
      ev({
        ended: {
          status: BuildStatus.BUILD_STATUS_SUCCEEDED,
          error: "",
          template: { templateId: "tpl-" + "a".repeat(32), name: "web", tag: "v1" } as never,
        },
      }),
    );
    expect(s.text()).toBe(
      [
        "  · preparing base: base-2x1024",
        "[1/3] RUN apt-get update (cached)",
        "[2/3] WORKDIR /app",
        "      done in 0.0s",
        "[3/3] RUN make test",
        "      compiling",
        "      ok 1",
        "      ok 2",
        "      done in 12.3s",
        "",
        `Built web:v1 (tpl-${"a".repeat(32)}) in 12.3s: 3 steps, 1 cached`,
        "",
      ].join("\n"),
    );
    expect(s.text()).not.toContain("\x1b");
    expect(r.outcome).toEqual({ status: BuildStatus.BUILD_STATUS_SUCCEEDED, templateId: "tpl-" + "a".repeat(32), templateName: "web:v1", error: "" });
  });

  it("repeats a failure at the end: step, recipe line, reason and output tail", () => {
    const s = sink(false);
    const r = new BuildRenderer(s.out, 3, recipe);
    r.handle(ev({ stepStarted: { step: 3, line: 4, instruction: "RUN make test", cached: false } }));
    r.handle(ev({ stepOutput: { step: 3, stream: "stderr", text: "make: *** no rule" } }));
    r.handle(ev({ stepFailed: { step: 3, line: 4, reason: "exit code 2", outputTail: "line a\nmake: *** no rule\n" } }));
    r.handle(ev({ ended: { status: BuildStatus.BUILD_STATUS_FAILED, error: "line 4: exit code 2", template: undefined } }));
    const text = s.text();
    expect(text).toContain("      make: *** no rule\n      failed: exit code 2\n");
    expect(text).toContain("Build failed at step 3/3, recipe line 4: RUN make test\n  reason: exit code 2\n  output (last lines):\n    line a\n    make: *** no rule\n");
    expect(r.outcome?.status).toBe(BuildStatus.BUILD_STATUS_FAILED);
  });

  it("reports a cancelled build and a failure without a step", () => {
    const a = sink(false);
    new BuildRenderer(a.out, 1, recipe).handle(ev({ ended: { status: BuildStatus.BUILD_STATUS_CANCELLED, error: "cancelled by the user", template: undefined } }));
    expect(a.text()).toBe("\nBuild cancelled: cancelled by the user\n");
    const b = sink(false);
    new BuildRenderer(b.out, 1, recipe).handle(ev({ ended: { status: BuildStatus.BUILD_STATUS_FAILED, error: "interrupted: the host agent restarted", template: undefined } }));
    expect(b.text()).toBe("\nBuild failed: interrupted: the host agent restarted\n");
  });

  it("keeps a progress bar on the last line of a terminal, erased before each printed line and at the end", () => {
    const s = sink(true);
    const r = new BuildRenderer(s.out, 4, recipe);
    r.handle(ev({ stepStarted: { step: 1, line: 2, instruction: "RUN apt-get update", cached: false } }));
    expect(s.text()).toMatch(/^\[1\/4\] RUN apt-get update\n░{24} 0\/4 steps · \d+\.\ds$/);
    r.handle(ev({ stepFinished: { step: 1, durationMs: 1000, cached: false } }));
    expect(s.text()).toMatch(/\r\x1b\[K      done in 1\.0s\n█{6}░{18} 1\/4 steps/);
    r.handle(ev({ ended: { status: BuildStatus.BUILD_STATUS_FAILED, error: "x", template: undefined } }));
    expect(s.text().endsWith("\nBuild failed: x\n")).toBe(true);
    // The bar was erased before the summary, not left above it.
    expect(s.text().split("\n").at(-3)).toMatch(/steps · \d+\.\ds\r\x1b\[K$/);
  });
});
