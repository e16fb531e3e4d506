import { describe, expect, it } from "vitest";
import { errors, grpcStatusOf, Status } from "@wrenn/shared";
import { explainCutCall, relayHostOf } from "../../src/lifecycle/relaying.js";
import type { SandboxRecord, SandboxStatus } from "../../src/lifecycle/sandbox.js";
import { createVisibility } from "../../src/lifecycle/visibility.js";

const hostId = "7d1f3a52-0c4e-4a53-9a0e-2f4b8c6d1e90";
const visibility = createVisibility(3600);

function sandbox(status: SandboxStatus, extra: Partial<SandboxRecord> = {}): SandboxRecord {
  const now = new Date();
  return {
    id: "0f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9", teamId: "5b0e6c1d-2a3f-4e8b-9c7d-1f0a2b3c4d5e", templateId: "base", templateUuid: null, status, hostId, metadata: {}, error: "", onExpiry: "kill",
    expiresAt: null, resources: null, publicPorts: false, autoResume: false, trafficToken: null, accessToken: null, stoppedAt: status === "stopped" ? now : null, createdAt: now, updatedAt: now, ...extra,
  };
}

const cut = errors.unavailable("sandbox envd connection lost during the call");

/** What a caller sees of a cut call when the sandbox is now `status` (or gone: null). */
async function explained(record: SandboxRecord | null, err: unknown = cut) {
  const result = await explainCutCall(err, async () => visibility.operable(record));
  return result === err ? "unchanged" : grpcStatusOf(result);
}

describe("relaying to a sandbox", () => {
  it("goes to the host of a running sandbox only, saying why not otherwise", () => {
    expect(relayHostOf(sandbox("running"))).toBe(hostId);
    const refusals = (["starting", "pausing", "paused", "resuming", "error", "missing"] as const).map((status) => {
      try {
        relayHostOf(sandbox(status));
        return `${status}: relayed`;
      } catch (err) {
        return `${status}: ${Status[grpcStatusOf(err)!.code]} ${grpcStatusOf(err)!.details}`;
      }
    });
    expect(refusals).toEqual([
      "starting: FAILED_PRECONDITION sandbox is still starting; retry once it is running (or create it with wait_ready)",
      "pausing: FAILED_PRECONDITION sandbox is paused; resume it first",
      "paused: FAILED_PRECONDITION sandbox is paused; resume it first",
      "resuming: FAILED_PRECONDITION sandbox is resuming; retry once it is running (or resume it with wait)",
      "error: FAILED_PRECONDITION sandbox is error, not running",
      "missing: FAILED_PRECONDITION sandbox is missing, not running",
    ]);
    expect(() => relayHostOf(sandbox("running", { hostId: null }))).toThrow("sandbox has no host");
  });

  it("explains a call cut by a destroy as \"sandbox is stopped\", whether the destroy finished or not", async () => {
    for (const status of ["stopping", "stopped"] as const) {
      expect(await explained(sandbox(status))).toEqual({ code: Status.FAILED_PRECONDITION, details: "sandbox is stopped" });
    }
  });

  it("explains a cut call on a sandbox that is gone, or stopped past the retention time, as NOT_FOUND", async () => {
    const longAgo = new Date(Date.now() - 2 * 3600_000);
    expect(await explained(null)).toEqual({ code: Status.NOT_FOUND, details: "sandbox not found" });
    expect(await explained(sandbox("stopped", { stoppedAt: longAgo }))).toEqual({ code: Status.NOT_FOUND, details: "sandbox not found" });
  });

  it("explains a cut call on a sandbox paused meanwhile as a new call would be answered", async () => {
    expect(await explained(sandbox("paused"))).toEqual({ code: Status.FAILED_PRECONDITION, details: "sandbox is paused; resume it first" });
  });

  it("leaves the host's error as it is when the sandbox still runs, or the call failed for another reason", async () => {
    expect(await explained(sandbox("running"))).toBe("unchanged");
    expect(await explained(sandbox("stopped"), errors.notFound("/tmp/x: no such file"))).toBe("unchanged");
    expect(await explained(sandbox("stopped"), new Error("not a gRPC error"))).toBe("unchanged");
  });

  it("keeps the host's error when the sandbox cannot be read again", async () => {
    const result = await explainCutCall(cut, async () => Promise.reject(new Error("database down")));
    expect(result).toBe(cut);
  });
});
