import { describe, expect, it } from "vitest";
import { Sandbox, SandboxStatus } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { pauseHappened } from "../../../src/e2b/api/sandbox-handlers.js";

const after = (status: SandboxStatus, error = "") => Sandbox.fromPartial({ sandboxId: "sb-1", status, error });

describe("E2B pause outcome", () => {
  it("counts a pause that settled as paused", () => {
    expect(pauseHappened(after(SandboxStatus.SANDBOX_STATUS_PAUSED))).toBe(true);
  });

  // The fuzz stage caught this: a resume from another request landed between
  // the pause settling and the handler reading the sandbox back.
  it("counts a pause that another caller's resume or kill already moved on", () => {
    for (const status of [SandboxStatus.SANDBOX_STATUS_RESUMING, SandboxStatus.SANDBOX_STATUS_RUNNING, SandboxStatus.SANDBOX_STATUS_STOPPING]) {
      expect(pauseHappened(after(status)), SandboxStatus[status]).toBe(true);
    }
  });

  it("does not count a pause the host failed", () => {
    expect(pauseHappened(after(SandboxStatus.SANDBOX_STATUS_RUNNING, "pause failed: qmp stop timed out"))).toBe(false);
    expect(pauseHappened(after(SandboxStatus.SANDBOX_STATUS_ERROR, "pause failed and the host no longer has the sandbox"))).toBe(false);
    expect(pauseHappened(undefined)).toBe(false);
  });
});
