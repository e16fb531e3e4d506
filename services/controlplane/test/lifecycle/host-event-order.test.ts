import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@wrenn/shared";
import type { Database } from "../../src/db/database.js";
import type { HostEventKind } from "../../src/events/event-bus.js";
import { applyOutcome } from "../../src/lifecycle/apply-outcome.js";
import type { SandboxHost } from "../../src/lifecycle/host-contract.js";
import type { SandboxStatus } from "../../src/lifecycle/sandbox.js";
import type { SandboxStore } from "../../src/lifecycle/sandbox-store.js";
import { createReconciler } from "../../src/reconciler/reconciler.js";
import { openTestDatabaseWithHost, testDatabaseUrl, warnIfNoDatabase } from "../support/test-database.js";

warnIfNoDatabase("host event order tests");

// A sandbox that ends on its host (TTL kill, exit, a restart that lost it)
// leaves two traces that reach the database in either order: the host's
// event, and its absence from the host's list at the next reconcile (which
// marks it missing). The event says why it is gone, so the sandbox ends
// where the event says whichever came first; the reconciler's "missing" is
// only for a sandbox gone without a word.
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

describe.skipIf(!testDatabaseUrl)("a host event and a reconcile of the same end, in either order", () => {
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

  /** One round of the real reconciler against a host whose list no longer has the sandbox. */
  async function reconcileAgainstEmptyHost(): Promise<void> {
    const host = { listSandboxes: async () => [], destroySandbox: async () => "not-found" } as Partial<SandboxHost> as SandboxHost;
    const reconciler = createReconciler({
      sandboxes,
      scheduler: { hostFor: async () => host },
      hostIds: () => [hostId],
      logger: createLogger("test", { level: "silent" }),
      notify: () => undefined,
      intervalMs: 60_000,
      stuckAfterMs: 60_000,
    });
    await reconciler.reconcileHost(hostId);
    await reconciler.close();
  }

  it.each<[HostEventKind, string, SandboxStatus, "event first" | "reconcile first", SandboxStatus, string]>([
    ["ttl-killed", "", "running", "event first", "stopped", "the sandbox's timeout ran out"],
    ["ttl-killed", "", "running", "reconcile first", "stopped", "the sandbox's timeout ran out"],
    ["ttl-killed", "", "paused", "reconcile first", "stopped", "the sandbox's timeout ran out"],
    ["exited", "killed by SIGKILL", "running", "event first", "error", "the sandbox exited unexpectedly (killed by SIGKILL)"],
    ["exited", "killed by SIGKILL", "running", "reconcile first", "error", "the sandbox exited unexpectedly (killed by SIGKILL)"],
    ["exited", "", "running", "reconcile first", "stopped", "the sandbox exited"],
    ["lost", "", "running", "event first", "missing", "the host lost the sandbox"],
    ["lost", "", "running", "reconcile first", "missing", "the host no longer has the sandbox"],
  ])("%s (detail %j) of a %s sandbox, %s → %s", async (kind, detail, status, order, expected, error) => {
    const id = randomUUID();
    await sandboxes.insertStarting({ id, teamId, templateId: "base", hostId, metadata: {} });
    await sandboxes.transition(id, ["starting"], "running");
    if (status === "paused") {
      await sandboxes.transition(id, ["running"], "pausing");
      await sandboxes.transition(id, ["pausing"], "paused");
    }
    await pause();
    // The host sees the end now; what it tells reaches the database after this moment, in one order or the other.
    const event = { type: "sandbox.host-event" as const, sandboxId: id, hostId, time: new Date().toISOString(), hostEvent: kind, detail };
    await pause();
    if (order === "event first") {
      await applyOutcome(sandboxes, event);
      await reconcileAgainstEmptyHost();
    } else {
      await reconcileAgainstEmptyHost();
      await applyOutcome(sandboxes, event);
    }
    expect(await sandboxes.get(id)).toMatchObject({ status: expected, error });
    // The event replayed (a reconnect's include_recent) changes nothing more.
    expect(await applyOutcome(sandboxes, event)).toBeNull();
  });
});
