import { describe, expect, it } from "vitest";
import { canonicalWireId, fromAnyWireId, toDnsLabelId, toWireId } from "../src/ids.js";

const uuid = "0f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9";
const hex = "0f3c2b1a9d8e4f7ab6c5d4e3f2a1b0c9";

describe("DNS-label ids (E2B's form)", () => {
  it("writes the kind and 32 lower-case hex digits with no dash", () => {
    expect(toDnsLabelId("sb", uuid)).toBe(`sb${hex}`);
    expect(toDnsLabelId("sb", uuid.toUpperCase())).toBe(`sb${hex}`);
    expect(toDnsLabelId("sb", uuid)).toMatch(/^[a-z0-9]+$/);
  });

  it("parses both forms, any case, to the same UUID", () => {
    for (const wire of [`sb${hex}`, `sb-${hex}`, `sb${hex.toUpperCase()}`, toWireId("sb", uuid)]) {
      expect(fromAnyWireId("sb", wire, "sandbox_id")).toBe(uuid);
      expect(canonicalWireId("sb", wire)).toBe(`sb-${hex}`);
    }
  });

  it("refuses anything else with INVALID_ARGUMENT naming the field and both forms", () => {
    for (const wire of ["", "sb", `sb${hex}0`, `sb${hex.slice(1)}`, `sb--${hex}`, `tpl${hex}`, `sb${hex.slice(0, 31)}g`, uuid, hex]) {
      expect(() => fromAnyWireId("sb", wire, "sandbox_id"), wire).toThrow(/sandbox_id must look like "sb-" followed by 32 hex digits \(or "sb" and 32 hex digits\)/);
      expect(canonicalWireId("sb", wire)).toBeUndefined();
    }
  });

  it("keeps kinds apart: a template id in either form is not a sandbox id", () => {
    expect(canonicalWireId("sb", `tpl-${hex}`)).toBeUndefined();
    expect(fromAnyWireId("tpl", `tpl${hex}`)).toBe(uuid);
  });
});
