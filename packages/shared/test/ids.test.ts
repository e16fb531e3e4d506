import { describe, expect, it } from "vitest";
import { ServerError, Status } from "../src/errors.js";
import { fromWireId, isWireId, newUuid, toWireId, type IdKind } from "../src/ids.js";

const uuid = "0f3c2b1a-9d8e-4c7b-a6f5-e4d3c2b1a098";
const wire = "sb-0f3c2b1a9d8e4c7ba6f5e4d3c2b1a098";

/** The error fromWireId throws, so its status and message can be checked. */
function refusal(fn: () => unknown): ServerError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ServerError) return err;
    throw err;
  }
  throw new Error("expected a refusal, got none");
}

describe("toWireId", () => {
  it("writes the prefix and the 32 hex digits without dashes", () => {
    expect(toWireId("sb", uuid)).toBe(wire);
  });

  it("lowercases an uppercase UUID, so one UUID has one wire id", () => {
    expect(toWireId("sb", uuid.toUpperCase())).toBe(wire);
  });
});

describe("fromWireId", () => {
  it("gives back the dashed UUID", () => {
    expect(fromWireId("sb", wire)).toBe(uuid);
  });

  it.each<IdKind>(["sb", "tpl", "usr", "team", "key", "host", "bld"])("round-trips a fresh UUID for kind %s", (kind) => {
    const id = newUuid();
    const w = toWireId(kind, id);
    expect(w.startsWith(`${kind}-`)).toBe(true);
    expect(isWireId(kind, w)).toBe(true);
    expect(fromWireId(kind, w)).toBe(id);
  });

  it("accepts uppercase hex digits and answers the lowercase UUID", () => {
    expect(fromWireId("sb", "sb-" + wire.slice(3).toUpperCase())).toBe(uuid);
  });

  it.each([
    ["another kind's prefix", "tpl-0f3c2b1a9d8e4c7ba6f5e4d3c2b1a098"],
    ["an uppercase prefix", "SB-0f3c2b1a9d8e4c7ba6f5e4d3c2b1a098"],
    ["no prefix", "0f3c2b1a9d8e4c7ba6f5e4d3c2b1a098"],
    ["the dashed UUID after the prefix", `sb-${uuid}`],
    ["a bare UUID", uuid],
    ["31 digits", wire.slice(0, -1)],
    ["33 digits", wire + "0"],
    ["a non-hex digit", wire.slice(0, -1) + "g"],
    ["trailing whitespace", wire + " "],
    ["an empty string", ""],
  ])("refuses %s as INVALID_ARGUMENT", (_what, bad) => {
    const err = refusal(() => fromWireId("sb", bad));
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(isWireId("sb", bad)).toBe(false);
  });

  it("names the field and the expected prefix in the message", () => {
    const err = refusal(() => fromWireId("sb", "nope", "sandbox_id"));
    expect(err.details).toContain("sandbox_id");
    expect(err.details).toContain('"sb-"');
    expect(err.details).toContain("nope");
  });
});

describe("isWireId", () => {
  it("is true only for the kind asked about", () => {
    expect(isWireId("sb", wire)).toBe(true);
    expect(isWireId("tpl", wire)).toBe(false);
  });
});
