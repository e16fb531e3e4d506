import { toWireId } from "@wrenn/shared";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { SandboxStatus } from "../../src/lifecycle/sandbox.js";
import type { SandboxStore } from "../../src/lifecycle/sandbox-store.js";
import { openTestDatabaseWithHost, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";
import type { SandboxEvent } from "../../src/events/event-bus.js";
import { applyOutcome } from "../../src/lifecycle/apply-outcome.js";

warnIfNoDatabase("lifecycle transition tests");

describe.skipIf(!testDatabaseUrl)("lifecycle transitions applied from outcome events", () => {
  let db: Database;
  let sandboxes: SandboxStore;
  let hostId: string;
  let teamId: string;

  beforeAll(async () => {
    ({ db, sandboxes, hostId, teamId } = await openTestDatabaseWithHost());
  });
  afterAll(async () => {
    await db?.close();
  });

  async function sandboxIn(status: SandboxStatus): Promise<string> {
    const id = randomUUID();
    await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    const path: Record<SandboxStatus, SandboxStatus[]> = {
      starting: [], running: ["running"], stopping: ["stopping"], stopped: ["stopping", "stopped"], error: ["error"], missing: ["missing"],
      pausing: ["running", "pausing"], paused: ["running", "pausing", "paused"], resuming: ["running", "pausing", "paused", "resuming"],
    };
    let from: SandboxStatus = "starting";
    for (const next of path[status]) {
      await sandboxes.transition(id, [from], next);
      from = next;
    }
    return id;
  }

  const ev = (type: SandboxEvent["type"], sandboxId: string, extra: Partial<SandboxEvent> = {}): SandboxEvent => ({
    type, sandboxId, hostId: null, time: new Date().toISOString(), ...extra,
  });

  it.each<[SandboxEvent["type"], Partial<SandboxEvent>, SandboxStatus, SandboxStatus | null]>([
    ["sandbox.running", {}, "starting", "running"],
    ["sandbox.running", {}, "stopping", null],
    ["sandbox.running", {}, "stopped", null],
    ["sandbox.error", { operation: "create", error: "boom" }, "starting", "error"],
    // A late create failure must not overwrite a destroy in progress.
    ["sandbox.error", { operation: "create", error: "boom" }, "stopping", null],
    ["sandbox.error", { operation: "destroy", error: "boom" }, "stopping", "error"],
    ["sandbox.error", { operation: "destroy", error: "boom" }, "running", null],
    ["sandbox.stopped", {}, "stopping", "stopped"],
    ["sandbox.stopped", {}, "running", null],
  ])("%s (%o) on a %s sandbox → %s", async (type, extra, from, expected) => {
    const id = await sandboxIn(from);
    const result = await applyOutcome(sandboxes, ev(type, id, extra));
    expect(result?.status ?? null).toBe(expected);
    expect((await sandboxes.get(id))!.status).toBe(expected ?? from);
    // Applying the same event twice changes nothing the second time.
    expect(await applyOutcome(sandboxes, ev(type, id, extra))).toBeNull();
  });

  it("keeps the error text of a failed operation", async () => {
    const id = await sandboxIn("starting");
    await applyOutcome(sandboxes, ev("sandbox.error", id, { operation: "create", error: "template missing" }));
    expect((await sandboxes.get(id))!.error).toBe("template missing");
  });

  it("ignores events that name no valid sandbox instead of failing forever", async () => {
    expect(await applyOutcome(sandboxes, { ...ev("sandbox.running", randomUUID()), sandboxId: "sb-nope" })).toBeNull();
  });

  it("reads sandbox ids as UUIDs only: a wire id in an event names no sandbox", async () => {
    const id = await sandboxIn("starting");
    expect(await applyOutcome(sandboxes, ev("sandbox.running", toWireId("sb", id)))).toBeNull();
    expect((await sandboxes.get(id))!.status).toBe("starting");
    expect((await applyOutcome(sandboxes, ev("sandbox.running", id)))?.status).toBe("running");
  });

  it("applies a host's AUTO_PAUSED to a running sandbox once, and ignores it when replayed after a resume", async () => {
    const id = await sandboxIn("running");
    const at = new Date(Date.now() + 5).toISOString();
    await new Promise((r) => setTimeout(r, 10));
    const event = ev("sandbox.host-event", id, { hostEvent: "auto-paused", time: at });
    expect((await applyOutcome(sandboxes, event))?.status).toBe("paused");
    expect(await applyOutcome(sandboxes, event)).toBeNull();
    await sandboxes.transition(id, ["paused"], "resuming");
    await sandboxes.transition(id, ["resuming"], "running");
    // Replayed (include_recent on reconnect): older than the resume, so it changes nothing.
    expect(await applyOutcome(sandboxes, event)).toBeNull();
    expect((await sandboxes.get(id))!.status).toBe("running");
  });

  it("turns an unexpected exit into error with the host's detail, and a TTL kill into stopped", async () => {
    const crashed = await sandboxIn("running");
    await new Promise((r) => setTimeout(r, 5));
    const updated = await applyOutcome(sandboxes, ev("sandbox.host-event", crashed, { hostEvent: "exited", detail: "killed by SIGKILL" }));
    expect(updated).toMatchObject({ status: "error", error: "the sandbox exited unexpectedly (killed by SIGKILL)" });
    const expired = await sandboxIn("paused");
    await new Promise((r) => setTimeout(r, 5));
    expect((await applyOutcome(sandboxes, ev("sandbox.host-event", expired, { hostEvent: "ttl-killed" })))?.status).toBe("stopped");
  });

  it("settles a failed pause to what the host reported, only from pausing", async () => {
    const id = await sandboxIn("pausing");
    const event = ev("sandbox.settled", id, { operation: "pause", status: "running", error: "pause failed: no" });
    expect(await applyOutcome(sandboxes, event)).toMatchObject({ status: "running", error: "pause failed: no" });
    expect(await applyOutcome(sandboxes, event)).toBeNull();
  });
});
