import { describe, expect, it } from "vitest";
import { linesMismatch, mismatch, parseShape } from "./json-shape.js";

const shape = (text: string) => parseShape(text).shape;

describe("README JSON shapes", () => {
  it("keys, strings and booleans must match; numbers need only be numbers", () => {
    const s = shape('{"event":{"end":{"exitCode":3,"exited":true,"signal":""}}}');
    expect(mismatch(s, { event: { end: { exitCode: 0, exited: true, signal: "" } } })).toBeNull();
    expect(mismatch(s, { event: { end: { exitCode: 0, exited: false, signal: "" } } })).toMatch(/exited/);
    expect(mismatch(s, { event: { end: { exitCode: 0, exited: true } } })).toMatch(/signal: missing/);
    expect(mismatch(s, { event: { end: { exitCode: 0, exited: true, signal: "", extra: 1 } } })).toMatch(/unexpected keys extra/);
    expect(mismatch(s, { event: { end: { exitCode: "0", exited: true, signal: "" } } })).toMatch(/number/);
  });

  it("… opens an object, accepts any array, and stands for part of a string", () => {
    const s = shape('{"sandbox":{"sandboxId":"sb-…","status":"SANDBOX_STATUS_RUNNING",…},"pids":[…]}');
    expect(mismatch(s, { sandbox: { sandboxId: "sb-12ab", status: "SANDBOX_STATUS_RUNNING", error: "" }, pids: [1, 2] })).toBeNull();
    expect(mismatch(s, { sandbox: { sandboxId: "tpl-12", status: "SANDBOX_STATUS_RUNNING" }, pids: [] })).toMatch(/sandboxId/);
    expect(mismatch(s, { sandbox: { sandboxId: "sb-1", status: "SANDBOX_STATUS_MISSING" }, pids: [] })).toMatch(/status/);
    expect(mismatch(shape('{"name":".new.txt.wrenn-….tmp"}'), { name: ".new.txt.wrenn-ab12.tmp" })).toBeNull();
    expect(mismatch(shape('{"name":".new.txt.wrenn-….tmp"}'), { name: "new.txt" })).not.toBeNull();
    expect(mismatch(shape('{"pid":…,"tag":"x"}'), { pid: 12, tag: "x" })).toBeNull();
    expect(mismatch(shape('{"pid":…,"tag":"x"}'), { tag: "x" })).toMatch(/pid: missing/);
  });

  it("each shown line matches one or more consecutive output lines, in order", () => {
    const lines = [shape('{"start":{}}'), shape('{"data":"…"}'), shape('{"end":true}')];
    expect(linesMismatch(lines, [{ start: {} }, { data: "a" }, { data: "b" }, { end: true }])).toBeNull();
    expect(linesMismatch(lines, [{ start: {} }, { end: true }])).toMatch(/line 2/);
    expect(linesMismatch(lines, [{ start: {} }, { end: true }, { data: "a" }])).not.toBeNull();
    expect(linesMismatch(lines, [{ start: {} }, { data: "a" }, { end: true }, { other: 1 }])).not.toBeNull();
  });

  it("reads the text after the JSON as prose", () => {
    expect(parseShape('{"a":1}   then more').rest.trim()).toBe("then more");
  });
});
