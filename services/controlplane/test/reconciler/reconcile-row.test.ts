import { describe, expect, it } from "vitest";
import type { SandboxStatus } from "../../src/lifecycle/sandbox.js";
import { reconcileRow } from "../../src/reconciler/reconciler.js";

const now = new Date("2026-01-01T00:10:00Z");
const fresh = new Date("2026-01-01T00:09:59Z");
const old = new Date("2026-01-01T00:00:00Z");
const host = (state: "running" | "paused") => ({ sandboxId: "x", state, expiresAt: null });

describe("reconciling one row with what its host has", () => {
  it.each<[SandboxStatus, Date, "running" | "paused" | undefined, SandboxStatus | null]>([
    ["running", fresh, undefined, "missing"],
    ["paused", fresh, undefined, "missing"],
    ["running", fresh, "running", null],
    ["running", fresh, "paused", "paused"],
    ["missing", fresh, "running", "running"],
    ["missing", fresh, undefined, null],
    // Transient: left alone until stuck, then settled from the host.
    ["starting", fresh, undefined, null],
    ["starting", old, undefined, "error"],
    ["starting", old, "running", "running"],
    ["pausing", old, "paused", "paused"],
    ["resuming", old, undefined, "error"],
    ["stopping", old, undefined, "stopped"],
    ["stopping", fresh, undefined, null],
    ["error", old, undefined, null],
  ])("%s (updated %s) with host %s → %s", (status, updatedAt, state, expected) => {
    expect(reconcileRow({ status, updatedAt }, state ? host(state) : undefined, now, 60_000)?.next ?? null).toBe(expected);
  });
});
