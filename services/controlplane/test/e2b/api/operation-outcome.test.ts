import { describe, expect, it } from "vitest";
import { Sandbox, SandboxStatus } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { operationHappened } from "../../../src/e2b/api/sandbox-handlers.js";

const after = (status: SandboxStatus, error = "") => Sandbox.fromPartial({ sandboxId: "sb-1", status, error });
const S = SandboxStatus;

describe("E2B waited operation outcome", () => {
  it("counts an operation that settled where it was asked to", () => {
    expect(operationHappened(after(S.SANDBOX_STATUS_PAUSED), "paused")).toBe(true);
    expect(operationHappened(after(S.SANDBOX_STATUS_RUNNING), "running")).toBe(true);
  });

  // The fuzz stage caught this: a resume from another request landed between
  // the pause settling and the handler reading the sandbox back.
  it("counts a pause or resume that another caller already moved on", () => {
    for (const status of [S.SANDBOX_STATUS_RESUMING, S.SANDBOX_STATUS_RUNNING, S.SANDBOX_STATUS_STOPPING]) {
      expect(operationHappened(after(status), "paused"), S[status]).toBe(true);
    }
    for (const status of [S.SANDBOX_STATUS_PAUSING, S.SANDBOX_STATUS_PAUSED, S.SANDBOX_STATUS_STOPPED]) {
      expect(operationHappened(after(status), "running"), S[status]).toBe(true);
    }
  });

  it("does not count an operation the host failed", () => {
    expect(operationHappened(after(S.SANDBOX_STATUS_RUNNING, "pause failed: qmp stop timed out"), "paused")).toBe(false);
    expect(operationHappened(after(S.SANDBOX_STATUS_PAUSED, "resume failed: no memory file"), "running")).toBe(false);
    expect(operationHappened(after(S.SANDBOX_STATUS_ERROR, "pause failed and the host no longer has the sandbox"), "paused")).toBe(false);
    expect(operationHappened(after(S.SANDBOX_STATUS_ERROR), "running")).toBe(false);
    expect(operationHappened(undefined, "paused")).toBe(false);
  });
});
