import { describe, expect, it } from "vitest";
import { EgressPolicy_Mode, ExpiryAction } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { createRequestOf } from "../../../src/e2b/api/create-input.js";
import { toE2bSandboxId, wireSandboxIdOf } from "../../../src/e2b/api/e2b-sandbox-id.js";

describe("E2B create body", () => {
  it("defaults to base (the platform's e2b-base template), 300 s, kill on expiry, and always waits for the sandbox", () => {
    expect(createRequestOf({ templateID: "base" }).templateId).toBe("e2b-base:latest");
    expect(createRequestOf({ templateID: "my-app:v2" }).templateId).toBe("my-app:v2");
    expect(createRequestOf({})).toMatchObject({ templateId: "e2b-base:latest", timeoutSeconds: 300, onExpiry: ExpiryAction.EXPIRY_ACTION_KILL, waitReady: true, metadata: {}, envs: {} });
  });

  it("maps envVars, metadata, autoPause, autoResume and allow_internet_access", () => {
    const request = createRequestOf({
      templateID: "python",
      timeout: 60,
      metadata: { a: "1" },
      envVars: { K: "v" },
      autoPause: true,
      autoResume: { enabled: true },
      allow_internet_access: false,
    });
    expect(request).toMatchObject({ templateId: "python", timeoutSeconds: 60, metadata: { a: "1" }, envs: { K: "v" }, onExpiry: ExpiryAction.EXPIRY_ACTION_PAUSE, autoResume: true });
    expect(request.egress?.mode).toBe(EgressPolicy_Mode.MODE_DENY_ALL);
  });

  it("refuses wrong types with 400", () => {
    for (const body of [{ timeout: -1 }, { timeout: 1.5 }, { timeout: "60" }, { metadata: { a: 1 } }, { envVars: [] }, { autoPause: "yes" }, { templateID: 7 }]) {
      expect(() => createRequestOf(body as never), JSON.stringify(body)).toThrow(expect.objectContaining({ httpStatus: 400 }));
    }
  });
});

describe("E2B sandbox ids", () => {
  it("drop the dash for the SDKs and take either form back", () => {
    const wire = `sb-${"ab".repeat(16)}`;
    const e2b = toE2bSandboxId(wire);
    expect(e2b).toMatch(/^sb[0-9a-f]{32}$/);
    expect(wireSandboxIdOf(e2b)).toBe(wire);
    expect(wireSandboxIdOf(wire)).toBe(wire);
    expect(wireSandboxIdOf(e2b.toUpperCase().replace("SB", "sb"))).toBe(wire);
    for (const bad of ["", "sb", "sb-", `sb${"0".repeat(31)}`, `xx${"0".repeat(32)}`, `sb--${"0".repeat(32)}`]) expect(wireSandboxIdOf(bad)).toBeUndefined();
  });
});
