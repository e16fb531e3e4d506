import { describe, expect, it } from "vitest";
import { EgressPolicy_Mode as ApiMode } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { EgressPolicy_Mode as HostMode } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { egressModeFromWire, egressModeToWire } from "../src/egress-mode.js";

describe("egress mode on the wire", () => {
  it("the public and host agent APIs number the modes alike", () => {
    expect({ ...ApiMode }).toEqual({ ...HostMode });
  });

  it("maps each mode there and back", () => {
    expect(egressModeToWire("allow-all")).toBe(HostMode.MODE_ALLOW_ALL);
    expect(egressModeToWire("deny-all")).toBe(HostMode.MODE_DENY_ALL);
    expect(egressModeToWire("allow-list")).toBe(HostMode.MODE_ALLOW_LIST);
    for (const mode of ["allow-all", "deny-all", "allow-list"] as const) expect(egressModeFromWire(egressModeToWire(mode))).toBe(mode);
  });

  it("names MODE_UNSPECIFIED and refuses undeclared numbers", () => {
    expect(egressModeFromWire(ApiMode.MODE_UNSPECIFIED)).toBe("unspecified");
    expect(egressModeFromWire(ApiMode.UNRECOGNIZED)).toBe("invalid");
    expect(egressModeFromWire(42)).toBe("invalid");
  });
});
