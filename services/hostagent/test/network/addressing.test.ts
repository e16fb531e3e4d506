import { describe, expect, test } from "vitest";
import { createAddressPool, normaliseEgressPolicy } from "../../src/network/index.js";

describe("address pool", () => {
  test("hands out distinct /30s, reuses freed ones only after the rest, and says when it is full", () => {
    const pool = createAddressPool("10.240.0.0/29");
    const a = pool.allocate();
    const b = pool.allocate();
    expect(a).toEqual({ index: 0, subnet: "10.240.0.0/30", hostAddress: "10.240.0.1", sandboxAddress: "10.240.0.2" });
    expect(b.sandboxAddress).toBe("10.240.0.6");
    expect(() => pool.allocate()).toThrow(/no free sandbox network/);
    pool.free(a.index);
    expect(pool.allocate().index).toBe(0);
    expect(pool.inUse()).toBe(2);
  });

  test("refuses malformed pools", () => {
    expect(() => createAddressPool("10.240.0.1/16")).toThrow(/host bits/);
    expect(() => createAddressPool("10.240.0.0/31")).toThrow(/\/30 or larger/);
    expect(() => createAddressPool("fd00::/64")).toThrow(/IPv6/);
  });
});

describe("egress policy validation", () => {
  test("normalises CIDRs and drops duplicates", () => {
    expect(normaliseEgressPolicy({ mode: "allow-list", cidrs: ["198.18.0.0/24", "198.18.0.0/24", "1.2.3.4"] })).toEqual({
      mode: "allow-list",
      cidrs: ["198.18.0.0/24", "1.2.3.4/32"],
    });
  });

  test("refuses what it cannot enforce, naming the entry", () => {
    expect(() => normaliseEgressPolicy({ mode: "allow-list", cidrs: ["300.1.1.1/8"] })).toThrow(/"300.1.1.1\/8"/);
    expect(() => normaliseEgressPolicy({ mode: "allow-list", cidrs: ["10.0.0.0/33"] })).toThrow(/prefix/);
    expect(() => normaliseEgressPolicy({ mode: "allow-list", cidrs: Array.from({ length: 300 }, (_, i) => `10.0.${i % 256}.0/24`) })).toThrow(/more than 256/);
  });
});
