import { describe, expect, it } from "vitest";
import type { SandboxStatus } from "../../src/lifecycle/sandbox.js";
import type { HostEventKind } from "../../src/events/event-bus.js";
import { allowedFrom, hostEventRule, settleFromHost } from "../../src/lifecycle/transitions.js";

describe("host event rules", () => {
  it.each<[HostEventKind, SandboxStatus, string, SandboxStatus | null]>([
    ["auto-paused", "running", "", "paused"],
    ["auto-paused", "pausing", "", "paused"],
    // Resumed by the user after the expiry: a late AUTO_PAUSED must not undo it.
    ["auto-paused", "resuming", "", null],
    ["auto-paused", "stopping", "", null],
    ["auto-paused", "stopped", "", null],
    ["ttl-killed", "running", "", "stopped"],
    ["ttl-killed", "stopping", "", "stopped"],
    ["ttl-killed", "stopped", "", null],
    ["exited", "running", "killed by SIGKILL", "error"],
    ["exited", "running", "", "stopped"],
    ["exited", "paused", "exit code 1", "error"],
    // Expected while it is being destroyed.
    ["exited", "stopping", "killed by SIGTERM", "stopped"],
    ["exited", "stopped", "x", null],
    ["lost", "running", "", "missing"],
    ["lost", "paused", "", "missing"],
    ["lost", "stopping", "", "stopped"],
    ["lost", "missing", "", null],
    ["resume-failed", "resuming", "restore failed", "error"],
    ["resume-failed", "stopped", "", null],
  ])("%s on a %s sandbox (detail %j) → %s", (kind, current, detail, expected) => {
    const rule = hostEventRule(kind, current, detail);
    expect(rule?.next ?? null).toBe(expected);
    if (rule) expect(rule.from).toEqual([current]);
  });

  it("says why an unexpected exit is an error", () => {
    expect(hostEventRule("exited", "running", "killed by SIGKILL")?.error).toBe("the sandbox exited unexpectedly (killed by SIGKILL)");
  });
});

describe("settling a failed pause or resume from what the host has", () => {
  it("keeps a sandbox the host still runs running, with the reason", () => {
    expect(settleFromHost("running", "pause", "envd refused")).toEqual({ next: "running", error: "pause failed: envd refused" });
  });
  it("keeps a paused sandbox paused when resume failed but it is still there", () => {
    expect(settleFromHost("paused", "resume", "boom")).toEqual({ next: "paused", error: "resume failed: boom" });
  });
  it("marks a sandbox the host no longer has as error, never running", () => {
    expect(settleFromHost("absent", "pause", "vm died").next).toBe("error");
    expect(settleFromHost("absent", "resume", "vm died").next).toBe("error");
  });
});

describe("allowed transitions", () => {
  it("pauses only running sandboxes and resumes only paused ones", () => {
    expect(allowedFrom.pausing).toEqual(["running"]);
    expect(allowedFrom.resuming).toEqual(["paused"]);
  });
  it("lets every live status be destroyed, but not a stopped one", () => {
    expect(allowedFrom.stopping).toEqual(expect.arrayContaining(["running", "paused", "pausing", "resuming", "error", "missing"]));
    expect(allowedFrom.stopping).not.toContain("stopped");
  });
});
