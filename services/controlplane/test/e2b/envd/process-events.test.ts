import { describe, expect, it } from "vitest";
import { toE2bEnd, toE2bEvent } from "../../../src/e2b/envd/process-events.js";

// Wrenn's end event as E2B's envd reports it: the SDKs show `status` and throw
// CommandExitError with `error` as the message for any non-zero exit code.
describe("E2B end events", () => {
  it("an exit 0 is 'exit status 0' with no error", () => {
    expect(toE2bEnd({ exitCode: 0, exited: true, signal: "", error: "", timedOut: false }).event).toEqual({
      case: "end",
      value: { exitCode: 0, exited: true, status: "exit status 0", error: undefined },
    });
  });

  it("a non-zero exit carries the status as the error", () => {
    expect(toE2bEnd({ exitCode: 3, exited: true, signal: "", error: "", timedOut: false }).event?.value).toMatchObject({
      exitCode: 3,
      status: "exit status 3",
      error: "exit status 3",
    });
  });

  it("a signal is exit code -1 and Go's name for it", () => {
    expect(toE2bEnd({ exitCode: -1, exited: false, signal: "SIGKILL", error: "", timedOut: false }).event?.value).toMatchObject({
      exitCode: -1,
      exited: false,
      status: "signal: killed",
      error: "signal: killed",
    });
    expect(toE2bEnd({ exitCode: -1, exited: false, signal: "SIGTERM", error: "", timedOut: false }).event?.value).toMatchObject({ status: "signal: terminated" });
    expect(toE2bEnd({ exitCode: -1, exited: false, signal: "SIGRTMIN", error: "", timedOut: false }).event?.value).toMatchObject({ status: "signal: SIGRTMIN" });
  });

  it("keeps Wrenn's own reason (a timeout it enforced) as the error", () => {
    const end = toE2bEnd({ exitCode: -1, exited: false, signal: "SIGKILL", error: "timed out after 10 ms; process group killed", timedOut: true });
    expect(end.event?.value).toMatchObject({ status: "signal: killed", error: "timed out after 10 ms; process group killed" });
  });
});

describe("E2B process events", () => {
  it("maps start, each output and end; drops what E2B has no event for", () => {
    expect(toE2bEvent({ start: { pid: 7, tag: "proc-0badc0de" } })?.event).toEqual({ case: "start", value: { pid: 7 } });
    const out = toE2bEvent({ data: { stdout: Buffer.from("a") } })?.event;
    expect(out?.case === "data" && out.value.output).toEqual({ case: "stdout", value: Buffer.from("a") });
    const err = toE2bEvent({ data: { stderr: Buffer.from("b") } })?.event;
    expect(err?.case === "data" && err.value.output?.case).toBe("stderr");
    const pty = toE2bEvent({ data: { pty: Buffer.from("c") } })?.event;
    expect(pty?.case === "data" && pty.value.output?.case).toBe("pty");
    expect(toE2bEvent({ truncated: { droppedBytes: 10 } })).toBeUndefined();
    expect(toE2bEvent({ keepalive: {} })).toBeUndefined();
    expect(toE2bEvent(undefined)).toBeUndefined();
  });
});
