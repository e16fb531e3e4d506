import { describe, expect, test } from "vitest";
import { Status } from "@wrenn/shared";
import { BuildRecord } from "../../src/build/build-record.js";
import { BuildRegistry, endedRetentionMs } from "../../src/build/build-registry.js";
import { baseKey, stepKey } from "../../src/build/cache-keys.js";
import { splitUtf8, StepOutput } from "../../src/build/step-output.js";
import type { RecipeStep } from "@wrenn/shared";

/** The builder's pure parts: event log and watchers, the registry's ids and retention, cache keys, output chunks. */
describe("build record", () => {
  test("watchers get events after their seq, then live ones, and end after the ended event", async () => {
    const record = new BuildRecord("bld-1", "t");
    record.append({ kind: "phase", phase: "a", detail: "" });
    record.append({ kind: "phase", phase: "b", detail: "" });
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of record.watch(1, AbortSignal.timeout(5000))) seen.push(e.seq);
    })();
    await new Promise((r) => setTimeout(r, 20));
    record.append({ kind: "stepStarted", step: 1, line: 1, instruction: "RUN x", cached: false });
    record.append({ kind: "ended", state: "succeeded", error: "" });
    record.append({ kind: "phase", phase: "after the end", detail: "" });
    await done;
    expect(seen).toEqual([2, 3, 4]);
    expect(record.state).toBe("succeeded");
    expect(record.lastSeq).toBe(4);
  });

  test("an interrupted build hands its end right after the seq a watcher resumes from", async () => {
    const record = new BuildRecord("bld-2", "t");
    record.interrupted = true;
    record.append({ kind: "ended", state: "failed", error: "interrupted" });
    const seqs = async (after: number) => {
      const out: number[] = [];
      for await (const e of record.watch(after, AbortSignal.timeout(1000))) out.push(e.seq);
      return out;
    };
    expect(await seqs(0)).toEqual([1]);
    expect(await seqs(17)).toEqual([18]);
  });
});

describe("build registry", () => {
  test("a build or template id in use is ALREADY_EXISTS; unknown builds NOT_FOUND; ended builds go after an hour", () => {
    let now = 0;
    const registry = new BuildRegistry(() => now);
    const release = registry.reserve("bld-a", "tpl-a");
    expect(() => registry.reserve("bld-a", "tpl-b")).toThrow(expect.objectContaining({ code: Status.ALREADY_EXISTS }));
    expect(() => registry.reserve("bld-b", "tpl-a")).toThrow(expect.objectContaining({ code: Status.ALREADY_EXISTS }));
    const record = new BuildRecord("bld-a", "tpl-a");
    registry.add(record);
    release();
    expect(() => registry.reserve("bld-c", "tpl-a")).toThrow(expect.objectContaining({ code: Status.ALREADY_EXISTS }));
    expect(() => registry.get("bld-x")).toThrow(expect.objectContaining({ code: Status.NOT_FOUND }));
    now = Date.now();
    record.append({ kind: "ended", state: "failed", error: "x" });
    expect(registry.list()).toHaveLength(1);
    now += endedRetentionMs + 1;
    expect(registry.list()).toHaveLength(0);
  });
});

describe("cache keys", () => {
  const run = (text: string): RecipeStep => ({ kind: "RUN", command: text.slice(4), line: 1, text });
  test("chain over the start, each step's text and its input", () => {
    const k0 = baseKey("base", new Date(0), 2048);
    expect(baseKey("base", new Date(0), 2048)).toBe(k0);
    expect(baseKey("base", new Date(1), 2048)).not.toBe(k0);
    expect(baseKey("base", new Date(0), 4096)).not.toBe(k0);
    const k1 = stepKey(k0, run("RUN a"));
    expect(stepKey(k0, run("RUN a"))).toBe(k1);
    expect(stepKey(k0, run("RUN b"))).not.toBe(k1);
    expect(stepKey(k0, run("RUN a"), "archive-hash")).not.toBe(k1);
    expect(stepKey(baseKey("other", new Date(0), 2048), run("RUN a"))).not.toBe(k1);
  });
});

describe("step output", () => {
  test("events are at most 64 KiB, never split a character, and a character split across reads is kept whole", () => {
    const emitted: string[] = [];
    const output = new StepOutput((_stream, text) => emitted.push(text));
    const big = "é".repeat(70_000);
    const bytes = Buffer.from(`${big}😀`);
    output.write("stdout", bytes.subarray(0, bytes.length - 2));
    output.write("stdout", bytes.subarray(bytes.length - 2));
    output.end();
    expect(emitted.every((t) => Buffer.byteLength(t) <= 64 * 1024)).toBe(true);
    expect(emitted.join("")).toBe(`${big}😀`);
    expect(emitted.join("")).not.toContain("\uFFFD");
    expect(output.outputTail().endsWith("é😀")).toBe(true);
    expect(Buffer.byteLength(output.outputTail())).toBeLessThanOrEqual(4096);
    expect(splitUtf8("😀😀", 5)).toEqual(["😀", "😀"]);
  });
});
